// SPDX-License-Identifier: Apache-2.0
// The BPF conformance runner's plumbing: the frame builder against the frame checker, and the
// fast_run driver's record protocol against the committed object (writes, deletes, clears, runs;
// baseline maps only, so it holds whatever the fast path does).
import { expect } from 'chai';
import * as path from 'node:path';
import { COUNTERS, passCounterIndex, XDP_OBJECTS } from '../../../bpf/abi';
import { skipWithoutBpf } from '../../../bpf/tests/bpf-available';
import { socketAddr } from '../../../config/address';
import { encodeConfig, encodeLocalAddrKey, type XdpConfig } from '../../support/bpf-abi-codec';
import { repoRoot } from '../../support/repo';
import { buildDriver, FastRunDriver, RUN_F_COUNTERS, XDP } from './fast-run-driver';
import { buildFrame, parseFrame } from './udp-frame';

const MAC_A = Buffer.from('020000000001', 'hex');
const MAC_B = Buffer.from('020000000002', 'hex');

function tool(): string {
  const { tool: built, error } = buildDriver(repoRoot());
  if (!built) throw new Error(error);
  return built;
}

describe('bpf conformance runner: frames', () => {
  const cases = [
    { name: 'IPv4', src: socketAddr('10.0.0.1', 4000), dst: socketAddr('127.0.0.100', 7777), ipAt: 14, udpAt: 34 },
    { name: 'IPv6', src: socketAddr('2001:db8::99', 5000), dst: socketAddr('fd00::100', 7777), ipAt: 14, udpAt: 54 },
  ];
  for (const c of cases) {
    const payload = Buffer.from('hello, fast path');
    const frame = (): Buffer => buildFrame({ src: c.src, dst: c.dst, payload, ethSrc: MAC_A, ethDst: MAC_B });

    it(`${c.name}: what the builder makes the checker accepts, with the same fields`, () => {
      const parsed = parseFrame(frame());
      expect(parsed).to.have.property('frame');
      if (!('frame' in parsed)) return;
      expect(parsed.frame.src).to.deep.equal(c.src);
      expect(parsed.frame.dst).to.deep.equal(c.dst);
      expect(parsed.frame.payload.equals(payload)).to.equal(true);
      expect(parsed.frame.ethSrc.equals(MAC_A) && parsed.frame.ethDst.equals(MAC_B)).to.equal(true);
    });

    it(`${c.name}: a wrong UDP checksum, a zero one and a wrong length are each caught`, () => {
      const bad = frame();
      bad.writeUInt16BE(bad.readUInt16BE(c.udpAt + 6) ^ 0x0100, c.udpAt + 6);
      expect(parseFrame(bad))
        .to.have.property('problems')
        .that.satisfies((p: string[]) => p.some((x) => x.includes('UDP checksum')));
      const zero = frame();
      zero.writeUInt16BE(0, c.udpAt + 6);
      expect(parseFrame(zero)).to.have.property('problems');
      const long = Buffer.concat([frame(), Buffer.from([0])]);
      expect(parseFrame(long)).to.have.property('problems');
    });
  }

  it('IPv4: a wrong header checksum is caught', () => {
    const bad = buildFrame({ src: cases[0].src, dst: cases[0].dst, payload: Buffer.from('x'), ethSrc: MAC_A, ethDst: MAC_B });
    bad[14 + 10] ^= 0x01;
    expect(parseFrame(bad))
      .to.have.property('problems')
      .that.satisfies((p: string[]) => p.some((x) => x.includes('header checksum')));
  });
});

describe('bpf conformance runner: fast_run protocol (BPF_PROG_RUN)', function () {
  this.timeout(60_000);
  let driver: FastRunDriver | undefined;
  const config: XdpConfig = { listenPort: 7777, qcmpPort: 0, sessionPortStart: 30000, sessionPortEnd: 30999, enabled: true, matchLocalAddr: false };
  const frame = buildFrame({
    src: socketAddr('10.0.0.1', 4000),
    dst: socketAddr('127.0.0.100', 7777),
    payload: Buffer.from('ping'),
    ethSrc: MAC_A,
    ethDst: MAC_B,
  });
  const key0 = Buffer.alloc(4);

  before(function () {
    skipWithoutBpf(this);
    driver = FastRunDriver.start(tool(), path.join(repoRoot(), XDP_OBJECTS.redirect));
  });
  after(() => driver?.close());

  it('reports the object maps and the CPU it pinned to', () => {
    expect([...driver!.maps]).to.include.members(['qk_config', 'qk_counters', 'qk_local_addrs']);
    expect(driver!.cpu).to.be.at.least(0);
  });

  it('writes a map by name, runs a frame and returns its action, the frame and the counters that moved', () => {
    driver!.writeEntry('qk_config', key0, encodeConfig(config));
    const res = driver!.run(frame, RUN_F_COUNTERS);
    expect(res.retval).to.equal(XDP.pass); // no AF_XDP socket on the queue
    expect(res.frame.equals(frame)).to.equal(true);
    expect(res.trace).to.equal(undefined);
    expect(res.counters.get(COUNTERS.QK_CNT_PASS)).to.deep.equal({ packets: 1, bytes: frame.length });
    expect(res.counters.get(passCounterIndex('no_xsk'))?.packets).to.equal(1);
    // Only what moved during this run: the next run reports the same deltas again.
    expect(driver!.run(frame, RUN_F_COUNTERS).counters.get(COUNTERS.QK_CNT_PASS)?.packets).to.equal(1);
  });

  it('clears a hash map and zeroes an array map', () => {
    driver!.writeEntry('qk_config', key0, encodeConfig({ ...config, matchLocalAddr: true }));
    driver!.writeEntry('qk_local_addrs', encodeLocalAddrKey('127.0.0.100'), Buffer.alloc(4));
    expect(driver!.run(frame, RUN_F_COUNTERS).counters.get(passCounterIndex('no_xsk'))?.packets).to.equal(1);
    driver!.clearHash('qk_local_addrs');
    // The CPU remembers the address it matched until the config starts a new address generation,
    // as the proxy's does after every change of the map.
    expect(driver!.run(frame, RUN_F_COUNTERS).counters.get(passCounterIndex('no_xsk'))?.packets).to.equal(1);
    driver!.writeEntry('qk_config', key0, encodeConfig({ ...config, matchLocalAddr: true, localAddrsGen: 1 }));
    expect(driver!.run(frame, RUN_F_COUNTERS).counters.get(passCounterIndex('not_local_addr'))?.packets).to.equal(1);
    driver!.zeroArray('qk_config');
    expect(driver!.run(frame, RUN_F_COUNTERS).counters.get(passCounterIndex('disabled'))?.packets).to.equal(1);
  });

  it('deletes an entry (an absent one too)', () => {
    const key = encodeLocalAddrKey('127.0.0.9');
    driver!.writeEntry('qk_local_addrs', key, Buffer.alloc(4));
    driver!.deleteEntry('qk_local_addrs', key);
    driver!.deleteEntry('qk_local_addrs', key);
  });

  it('answers a bad record with an error and goes on', () => {
    expect(() => driver!.writeEntry('qk_config', Buffer.alloc(3), encodeConfig(config))).to.throw(/fast_run write qk_config: err/);
    expect(() => driver!.writeEntry('qk_nope', key0, Buffer.alloc(4))).to.throw(/err 2/);
    expect(() => driver!.clearHash('qk_config')).to.throw(/err/);
    driver!.writeEntry('qk_config', key0, encodeConfig(config));
    expect(driver!.run(frame, 0).retval).to.equal(XDP.pass);
  });
});
