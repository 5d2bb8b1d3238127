// SPDX-License-Identifier: Apache-2.0
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { AttachmentState } from './attachment-state';

describe('xdp attachment state', function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qkxdp-state-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('claims a free interface and releases it', function () {
    const state = new AttachmentState('eth9', dir);
    expect(state.claim()).to.equal(undefined);
    expect(JSON.parse(fs.readFileSync(state.file, 'utf8'))).to.include({ pid: process.pid, interface: 'eth9' });
    state.release();
    expect(fs.existsSync(state.file)).to.equal(false);
  });

  it('takes over from a dead owner and names its pid', function () {
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
    const state = new AttachmentState('eth9', dir);
    fs.writeFileSync(state.file, JSON.stringify({ pid: dead, interface: 'eth9' }));
    fs.writeFileSync(path.join(dir, 'xdp-1-other0.json'), JSON.stringify({ pid: dead, interface: 'other0' }));
    expect(state.claim()).to.equal(dead);
    // Records of other dead owners are swept too: nobody is left to read them.
    expect(fs.readdirSync(dir)).to.deep.equal([path.basename(state.file)]);
  });

  it('refuses an interface a live process owns', function () {
    const state = new AttachmentState('eth9', dir);
    fs.writeFileSync(state.file, JSON.stringify({ pid: process.ppid, interface: 'eth9' }));
    expect(() => state.claim()).to.throw(/already served by a running proxy \(pid \d+/);
  });
});
