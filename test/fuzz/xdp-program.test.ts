// SPDX-License-Identifier: Apache-2.0
// Differential fuzz of the committed XDP object (bpf/obj/xdp_redirect.bpf.o) against the TS model of
// its rules (xdp-model.ts): generated configs and frames (xdp-frames.ts) run through BPF_PROG_RUN by
// bpf/tests/xdp_fuzz.c, one process per chunk, one line per frame with the counters that moved and
// the first event. Verdict, reason, match counter, byte counts and event must equal the model's.
// Profiles: ci 150k frames (~13 s), soak >= 1M (profile.ts; FUZZ_CASES overrides).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { expect } from 'chai';
import fc from 'fast-check';

import { XDP_OBJECTS } from '../../bpf/abi';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { encodeConfig, encodeLocalAddrKey } from '../support/bpf-abi-codec';
import { repoRoot } from '../support/repo';
import { type FrameSpec, type FrameTarget, buildFrame, buildUdpFrame, frameSpecArb } from './xdp-frames';
import { type ModelConfig, XDP_DROP, XDP_PASS, XDP_REDIRECT, expectedEffects, xdpVerdict } from './xdp-model';
import { announce, seedFor, sized, withReplay } from './profile';

const SEED = seedFor('xdp-program');
const FRAMES = sized(150_000, 1_000_000);
const PER_CONFIG = 250;
const PER_PROCESS = 25_000;

const V4_POOL = ['10.97.0.2', '10.97.1.2', '192.0.2.7'];
const V6_POOL = ['fd00:97::2', 'fd00:97:1::2', '2001:db8::7'];
const addrHex = (ip: string): string => {
  const key = encodeLocalAddrKey(ip);
  return key.subarray(4, key[0] === 4 ? 8 : 20).toString('hex');
};

interface Batch {
  config: ModelConfig;
  frames: FrameSpec[];
}

const configArb: fc.Arbitrary<ModelConfig> = fc
  .record({
    enabled: fc.oneof({ weight: 20, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    listenPort: fc.oneof(fc.constant(7777), fc.constant(0), fc.integer({ min: 1, max: 0xffff })),
    qcmpPort: fc.oneof(fc.constant(7600), fc.constant(0), fc.integer({ min: 1, max: 0xffff })),
    session: fc.oneof(fc.constant([0, 0]), fc.constant([61000, 65535]), fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))),
    local: fc.subarray([...V4_POOL, ...V6_POOL]),
    maxFrameLen: fc.oneof(fc.constant(0), fc.constant(1792), fc.integer({ min: 14, max: 1600 })),
  })
  .map((c) => ({
    enabled: c.enabled,
    listenPort: c.listenPort,
    qcmpPort: c.qcmpPort,
    sessionPortStart: c.session[0],
    sessionPortEnd: c.session[1],
    localAddrs: new Set(c.local.map(addrHex)),
    maxFrameLen: c.maxFrameLen,
    xsk: false,
  }));

const batchArb: fc.Arbitrary<Batch> = fc.record({ config: configArb, frames: fc.array(frameSpecArb, { minLength: PER_CONFIG, maxLength: PER_CONFIG }) });

function target(cfg: ModelConfig): FrameTarget {
  const ip = (a: string): Buffer => Buffer.from(addrHex(a), 'hex');
  return {
    listenPort: cfg.listenPort,
    qcmpPort: cfg.qcmpPort,
    sessionPortStart: cfg.sessionPortStart,
    sessionPortEnd: cfg.sessionPortEnd,
    v4: V4_POOL.map(ip),
    v6: V6_POOL.map(ip),
    srcMac: Buffer.from('020000000001', 'hex'),
    dstMac: Buffer.from('020000000002', 'hex'),
  };
}

/** The records of one config and its frames for xdp_fuzz (see bpf/tests/xdp_fuzz.c). */
function encodeBatch(cfg: ModelConfig, frames: Buffer[], previous: ModelConfig | undefined): Buffer {
  const parts: Buffer[] = [];
  const all = [...V4_POOL, ...V6_POOL];
  for (const ip of all) {
    const want = cfg.localAddrs.has(addrHex(ip));
    if (previous && previous.localAddrs.has(addrHex(ip)) === want) continue;
    parts.push(Buffer.from('A'), encodeLocalAddrKey(ip), Buffer.from([want ? 1 : 0]));
  }
  const value = encodeConfig({ ...cfg, matchLocalAddr: cfg.localAddrs.size > 0 });
  parts.push(Buffer.from('C'), value);
  for (const f of frames) {
    const len = Buffer.alloc(2);
    len.writeUInt16LE(f.length);
    parts.push(Buffer.from('F'), len, f);
  }
  return Buffer.concat(parts);
}

/** The line xdp_fuzz prints when the object behaves as the model says. */
function expectedLine(frame: Buffer, cfg: ModelConfig): string {
  const v = xdpVerdict(frame, cfg);
  if (v.action === 'refused') return 'E22 - 0';
  const retval = v.action === 'pass' ? XDP_PASS : v.action === 'drop' ? XDP_DROP : XDP_REDIRECT;
  const { counters, event } = expectedEffects(v, frame.length);
  return `${retval} ${counters.join(',')} ${event ? `1 ${event}` : '0'}`;
}

interface Divergence {
  config: ModelConfig;
  frame: Buffer;
  model: string;
  program: string;
}

function describeDivergence(d: Divergence): string {
  const { localAddrs, ...rest } = d.config;
  return [
    `  config ${JSON.stringify({ ...rest, localAddrs: [...localAddrs] })}`,
    `  frame  ${d.frame.toString('hex')} (${d.frame.length} bytes)`,
    `  model   ${d.model}  (${JSON.stringify(xdpVerdict(d.frame, d.config))})`,
    `  program ${d.program}`,
  ].join('\n');
}

describe('fuzz: XDP program vs its TS model (BPF_PROG_RUN)', function () {
  this.timeout(600_000);
  const root = repoRoot();
  let tmp = '';
  let tool = '';

  before(function () {
    skipWithoutBpf(this);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qkxdpfuzz-'));
    tool = path.join(tmp, 'xdp_fuzz');
    const t = path.join(root, 'bpf/tests');
    const cc = spawnSync(
      'cc',
      ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', `-I${root}/bpf/lib`, `-I${t}`, `${t}/xdp_fuzz.c`, `${t}/prog_run.c`, '-lbpf', '-o', tool],
      { encoding: 'utf8' },
    );
    expect(cc.status, cc.stderr).to.equal(0);
  });

  after(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs batches through one xdp_fuzz process; returns the divergences (at most `limit`). */
  function runBatches(batches: Array<{ config: ModelConfig; frames: Buffer[] }>, limit = 5): { frames: number; divergences: Divergence[] } {
    const input: Buffer[] = [];
    let previous: ModelConfig | undefined;
    for (const b of batches) {
      input.push(encodeBatch(b.config, b.frames, previous));
      previous = b.config;
    }
    const out = spawnSync(tool, [path.join(root, XDP_OBJECTS.redirect)], { input: Buffer.concat(input), maxBuffer: 1 << 30, encoding: 'utf8' });
    expect(out.status, out.stderr).to.equal(0);
    const lines = out.stdout.split('\n');
    const divergences: Divergence[] = [];
    let i = 0;
    for (const b of batches) {
      for (const frame of b.frames) {
        const program = lines[i++];
        const model = expectedLine(frame, b.config);
        if (program !== model && divergences.length < limit) divergences.push({ config: b.config, frame, model, program });
      }
    }
    expect(lines.length - 1, 'one answer per frame').to.equal(i);
    return { frames: i, divergences };
  }

  function assertAgree(r: { divergences: Divergence[] }, what: string): void {
    if (r.divergences.length) throw new Error(`${what}: the XDP program and the model disagree:\n${r.divergences.map(describeDivergence).join('\n')}`);
  }

  it('agrees with the model on every truncation length of well-formed frames', async function () {
    const cfg: ModelConfig = {
      enabled: true,
      listenPort: 7777,
      qcmpPort: 7600,
      sessionPortStart: 61000,
      sessionPortEnd: 65535,
      localAddrs: new Set(),
      maxFrameLen: 1792,
      xsk: false,
    };
    const t = target(cfg);
    const frames: Buffer[] = [];
    for (const v6 of [false, true]) {
      for (const [optionWords, ext] of [
        [0, []],
        [3, [0, 60]],
      ] as const) {
        const full = buildUdpFrame({
          v6,
          src: v6 ? t.v6[2] : t.v4[2],
          dst: v6 ? t.v6[0] : t.v4[0],
          srcPort: 5000,
          dstPort: 7777,
          payload: Buffer.from('hello xdp'),
          optionWords,
          ext: [...ext],
          srcMac: t.srcMac,
          dstMac: t.dstMac,
        });
        for (let n = 0; n <= full.length; n++) frames.push(full.subarray(0, n));
      }
    }
    await withReplay(__filename, FRAMES, () => assertAgree(runBatches([{ config: cfg, frames }]), 'truncation sweep'));
  });

  it(`agrees with the model on ${FRAMES} generated frames under generated configs`, async function () {
    announce('xdp program (BPF_PROG_RUN) vs model', FRAMES, 'frames');
    const started = Date.now();
    const reasons = new Map<string, number>();
    let total = 0;
    await withReplay(__filename, FRAMES, () => {
      for (let chunk = 0; total < FRAMES; chunk++) {
        const want = Math.min(PER_PROCESS, FRAMES - total);
        const specs = fc.sample(batchArb, { seed: SEED + chunk, numRuns: Math.ceil(want / PER_CONFIG) });
        let left = want;
        const batches = specs.map((b) => {
          const t = target(b.config);
          const frames = b.frames.slice(0, Math.min(PER_CONFIG, left)).map((s) => buildFrame(s, t));
          left -= frames.length;
          for (const f of frames) {
            const v = xdpVerdict(f, b.config);
            const key = `${v.action}${v.reason ? `/${v.reason}` : ''}`;
            reasons.set(key, (reasons.get(key) ?? 0) + 1);
          }
          return { config: b.config, frames };
        });
        const r = runBatches(batches);
        total += r.frames;
        assertAgree(r, `chunk ${chunk} (fc seed ${SEED + chunk})`);
      }
    });
    const mix = [...reasons.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
    console.log(`  [fuzz] ${total} frames in ${((Date.now() - started) / 1000).toFixed(1)} s: ${mix.join(', ')}`);
    expect(total).to.equal(FRAMES);
    // The generators must reach every decision the program can take under BPF_PROG_RUN.
    for (const key of [
      'pass/disabled',
      'pass/vlan',
      'pass/not_ip',
      'pass/truncated',
      'pass/malformed',
      'pass/ipv4_fragment',
      'pass/ipv6_ext_hdr',
      'pass/not_udp',
      'pass/other_port',
      'pass/not_local_addr',
      'pass/no_xsk',
      'pass/oversize',
      'drop/malformed_udp_len',
      'refused',
    ]) {
      expect(reasons.get(key) ?? 0, `frames reaching ${key}`).to.be.greaterThan(0);
    }
  });
});
