// SPDX-License-Identifier: Apache-2.0
// Who owns the XDP attachment of an interface, remembered in /run/quilkin/ so that a proxy killed
// with SIGKILL is recognised as gone at the next start (which then removes its program: the
// native side recognises our program by name). A live owner is never disturbed. An owner is the
// pid *and* its start time, so a pid reused by an unrelated process does not hold the interface.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const STATE_DIR = '/run/quilkin';

interface StateRecord {
  readonly pid: number;
  /** The owner's start time (/proc/<pid>/stat field 22, clock ticks since boot); absent in old records. */
  readonly startTime?: number;
  readonly interface: string;
  readonly progId?: number;
  readonly mode?: string;
}

/** Field 22 of /proc/<pid>/stat, or undefined when there is no such process. */
export function processStartTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or ')': fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const value = Number(fields[22 - 3]);
  return Number.isSafeInteger(value) ? value : undefined;
}

function alive(owner: StateRecord): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return owner.startTime === undefined || processStartTime(owner.pid) === owner.startTime;
}

const OWN_START_TIME = processStartTime(process.pid);

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

  /**
   * Throws when another live proxy owns the interface; returns the dead owner's pid, if any.
   * sweep: also remove every dead owner's record (off while more claims of a set are to come,
   * which must still read theirs).
   */
  claim(sweep = true): number | undefined {
    let previous: StateRecord | undefined;
    try {
      previous = JSON.parse(fs.readFileSync(this.file, 'utf8')) as StateRecord;
    } catch {
      previous = undefined;
    }
    if (previous && previous.pid !== process.pid && alive(previous)) {
      throw new Error(`interface ${previous.interface} is already served by a running proxy (pid ${previous.pid}, state ${this.file})`);
    }
    if (sweep) this.sweep();
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
        if (!alive(rec)) fs.rmSync(path.join(dir, name), { force: true });
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
      fs.writeFileSync(this.file, JSON.stringify({ ...record, ...(OWN_START_TIME !== undefined ? { startTime: OWN_START_TIME } : {}) }));
    } catch (err) {
      throw new Error(`attachment state ${this.file}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * The states of every interface one proxy attaches to: its own and its forward interfaces
 * (`--xdp.forward-interfaces`). All are claimed or none: a claim that fails releases the others.
 */
export class AttachmentClaims {
  private readonly states: AttachmentState[];

  constructor(
    private readonly ifnames: readonly string[],
    dir = STATE_DIR,
  ) {
    this.states = ifnames.map((n) => new AttachmentState(n, dir));
  }

  /** Throws when another live proxy owns one of the interfaces; returns the dead owners by interface. */
  claim(): Map<string, number> {
    const dead = new Map<string, number>();
    const claimed: AttachmentState[] = [];
    try {
      this.states.forEach((state, i) => {
        const pid = state.claim(i === this.states.length - 1);
        claimed.push(state);
        if (pid !== undefined) dead.set(this.ifnames[i], pid);
      });
    } catch (err) {
      for (const state of claimed) state.release();
      throw err;
    }
    return dead;
  }

  /** What is attached: the program id and mode are the same on every interface. */
  record(record: Omit<StateRecord, 'pid' | 'interface'>): void {
    this.states.forEach((state, i) => state.record({ interface: this.ifnames[i], ...record }));
  }

  release(): void {
    for (const state of this.states) state.release();
  }
}
