// SPDX-License-Identifier: Apache-2.0
// Who owns the XDP attachment of an interface, remembered in /run/quilkin/ so that a proxy killed
// with SIGKILL is recognised as gone at the next start (which then removes its program: the
// native side recognises our program by name). A live owner is never disturbed.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const STATE_DIR = '/run/quilkin';

interface StateRecord {
  readonly pid: number;
  readonly interface: string;
  readonly progId?: number;
  readonly mode?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class AttachmentState {
  readonly file: string;

  constructor(
    private readonly ifname: string,
    dir = STATE_DIR,
  ) {
    // Interface names repeat across network namespaces; the namespace inode tells them apart.
    const netns = fs.statSync('/proc/self/ns/net').ino;
    this.file = path.join(dir, `xdp-${netns}-${ifname}.json`);
  }

  /** Throws when another live proxy owns the interface; returns the dead owner's pid, if any. */
  claim(): number | undefined {
    let previous: StateRecord | undefined;
    try {
      previous = JSON.parse(fs.readFileSync(this.file, 'utf8')) as StateRecord;
    } catch {
      previous = undefined;
    }
    if (previous && previous.pid !== process.pid && alive(previous.pid)) {
      throw new Error(`interface ${previous.interface} is already served by a running proxy (pid ${previous.pid}, state ${this.file})`);
    }
    this.sweep();
    this.write({ pid: process.pid, interface: this.ifname });
    return previous && previous.pid !== process.pid ? previous.pid : undefined;
  }

  /** Removes records of dead owners: a killed proxy's namespace may be gone, and its file with no one to read it. */
  private sweep(): void {
    const dir = path.dirname(this.file);
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => n.startsWith('xdp-') && n.endsWith('.json'));
    } catch {
      return;
    }
    for (const name of names) {
      try {
        const rec = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as StateRecord;
        if (!alive(rec.pid)) fs.rmSync(path.join(dir, name), { force: true });
      } catch {
        // Unreadable or removed meanwhile by another proxy: leave it.
      }
    }
  }

  record(record: Omit<StateRecord, 'pid'>): void {
    this.write({ pid: process.pid, ...record });
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }

  private write(record: StateRecord): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(this.file, JSON.stringify(record));
    } catch (err) {
      throw new Error(`attachment state ${this.file}: ${(err as Error).message}`);
    }
  }
}
