// SPDX-License-Identifier: Apache-2.0
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { AttachmentClaims, AttachmentState, processStartTime } from './attachment-state';

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

  it('records its own start time, and treats a live pid with another start time as a reused pid (dead owner)', function () {
    const state = new AttachmentState('eth9', dir);
    state.claim();
    expect(JSON.parse(fs.readFileSync(state.file, 'utf8')).startTime).to.equal(processStartTime(process.pid));
    state.release();
    // The parent is alive, but the record says it started at another time: not the proxy that wrote it.
    const parentStart = processStartTime(process.ppid)!;
    fs.writeFileSync(state.file, JSON.stringify({ pid: process.ppid, startTime: parentStart + 1, interface: 'eth9' }));
    expect(state.claim()).to.equal(process.ppid);
    // The same pid with its real start time is a live owner.
    fs.writeFileSync(state.file, JSON.stringify({ pid: process.ppid, startTime: parentStart, interface: 'eth9' }));
    expect(() => state.claim()).to.throw(/already served by a running proxy/);
  });

  it('reads the start time after a command name holding spaces and parentheses', async function () {
    // The command name is the executable's file name: a link to node named `a) b (c`.
    const link = path.join(dir, 'a) b (c');
    fs.symlinkSync(process.execPath, link);
    const child = spawn(link, ['-e', 'setTimeout(() => undefined, 5000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      expect(fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8')).to.include('(a) b (c)');
      const started = processStartTime(child.pid!)!;
      const ticksSinceBoot = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100;
      // Started after this process and before now (USER_HZ is 100 on Linux).
      expect(started)
        .to.be.at.least(processStartTime(process.pid)!)
        .and.at.most(ticksSinceBoot + 100);
    } finally {
      child.kill('SIGKILL');
    }
    expect(processStartTime(2 ** 22 + 12345)).to.equal(undefined);
  });

  it('claims the proxy interface and its forward interfaces together, or none of them', function () {
    const taken = new AttachmentState('eth8', dir);
    fs.writeFileSync(taken.file, JSON.stringify({ pid: process.ppid, interface: 'eth8' }));
    const claims = new AttachmentClaims(['eth7', 'eth8'], dir);
    expect(() => claims.claim()).to.throw(/interface eth8 is already served by a running proxy/);
    // eth7 was claimed first and released when eth8 failed.
    expect(fs.existsSync(new AttachmentState('eth7', dir).file)).to.equal(false);
    fs.rmSync(taken.file);
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
    fs.writeFileSync(taken.file, JSON.stringify({ pid: dead, interface: 'eth8' }));
    expect([...claims.claim()]).to.deep.equal([['eth8', dead]]);
    claims.record({ progId: 42, mode: 'native' });
    for (const ifname of ['eth7', 'eth8'])
      expect(JSON.parse(fs.readFileSync(new AttachmentState(ifname, dir).file, 'utf8'))).to.include({ pid: process.pid, interface: ifname, progId: 42 });
    claims.release();
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});
