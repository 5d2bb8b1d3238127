// SPDX-License-Identifier: Apache-2.0
// Differential fuzz of the in-kernel fast path against the TypeScript reference: generated configs
// (configArb, and lowerableConfigArb, which draws only filters the compile stage lowers) whose chain
// lowers run every packet of every sequence through the committed XDP object with BPF_PROG_RUN
// (the conformance runner's bpf implementation, test/conformance/bpf-implementation.ts) and
// through the TypeScript filters (typescript-implementation.ts); the outcomes must be equal as
// test/conformance/check.ts judges them: drop and reason, payload, destinations, metadata.
// Chains that do not lower are counted and skipped. A packet the program hands to the AF_XDP tier
// before its chain finished (window, concat, token_many, lb_ipv6_hash) is counted as pending and
// never compared, as is one whose starting metadata the kernel cannot seed (a Number or a List).
// A case is one sequence on a fresh chain; SEQUENCES per generated config. Profiles: ci 2000 cases
// (a few seconds), soak 50000 (profile.ts; FUZZ_CASES and FUZZ_SEED override).
import { expect } from 'chai';
import fc from 'fast-check';
import { bpfImplementation } from '../conformance/bpf-implementation';
import { checkPacket } from '../conformance/check';
import type { CaseClock, ChainRunner, PacketOutput } from '../conformance/implementations';
import { typescriptImplementation } from '../conformance/typescript-implementation';
import type { PacketExpect } from '../conformance/vectors';
import type { MetadataValue } from '../../data-plane/filters/metadata';
import { isDisallowedSource } from '../../data-plane/pipeline';
import { configArb, type FuzzConfig, lowerableConfigArb, SEQUENCES } from './arbitraries';
import { announce, PROFILE, replayHint, seedFor, sized } from './profile';

const TOTAL = sized(2_000, 50_000);
const SEED = seedFor('kernel-differential');
const T0_MS = 1_700_000_000_000;
/** At least this share of generated cases must lower, or the fuzzer tests little of the kernel. */
const MIN_LOWERED_SHARE = 0.5;
/** At most this share of the lowered cases' packets may be handed off before the chain finished. */
const MAX_PENDING_SHARE = 0.15;

const generated: fc.Arbitrary<FuzzConfig> = fc.oneof({ weight: 1, arbitrary: configArb }, { weight: 3, arbitrary: lowerableConfigArb });

class StepClock implements CaseClock {
  ms = T0_MS;
  now(): number {
    return this.ms;
  }
}

interface Tally {
  cases: number;
  lowered: number;
  notLowerable: number;
  invalid: number;
  packets: number;
  compared: number;
  /** Of those, packets of a chain with a RoundRobin LoadBalancer (its rotation must agree). */
  roundRobin: number;
  pending: number;
  unseedable: number;
  /** Reads from a source no session can start from (multicast, broadcast). */
  noSession: number;
  /** Packets of a RoundRobin chain after a pending one: the two sides' rotations no longer line up. */
  afterPending: number;
  pendingWhy: Map<string, number>;
}

const newTally = (): Tally => ({
  cases: 0,
  lowered: 0,
  notLowerable: 0,
  invalid: 0,
  packets: 0,
  compared: 0,
  roundRobin: 0,
  pending: 0,
  unseedable: 0,
  noSession: 0,
  afterPending: 0,
  pendingWhy: new Map(),
});

/** The TS outcome as a check.ts expectation: every field the BPF side reports is compared. */
function expectationOf(ts: PacketOutput, bpf: PacketOutput): PacketExpect {
  const metadata = new Map<string, MetadataValue | null>();
  for (const k of new Set([...(ts.metadata?.keys() ?? []), ...(bpf.metadata?.keys() ?? [])])) metadata.set(k, ts.metadata?.get(k) ?? null);
  return {
    dropped: ts.dropped,
    reason: ts.reason,
    output: ts.dropped ? undefined : ts.contents,
    metadata,
    destinations: ts.destinations ? [...ts.destinations] : undefined,
    destinationsOrdered: false,
  };
}

function describeConfig(c: FuzzConfig): string {
  return JSON.stringify({
    filters: c.filters,
    endpoints: c.clusters.flatMap((g) => g.endpoints.map((e) => [e.address.key, e.tokens.map((t) => t.toString('hex'))])),
  });
}

/** Round robin is the one lowerable filter with state across packets. */
const hasRoundRobin = (c: FuzzConfig): boolean => JSON.stringify(c.filters).includes('ROUND_ROBIN');

/** Runs one generated config's sequences through both sides; throws the first disagreement. */
function runConfig(config: FuzzConfig, t: Tally): void {
  t.cases += config.sequences.length;
  const valid = typescriptImplementation.validateChain(config.filters);
  if (!valid.valid) {
    t.invalid += config.sequences.length;
    return;
  }
  const stateful = hasRoundRobin(config);
  config.sequences.forEach((steps, q) => {
    const clock = new StepClock();
    const setup = { filters: config.filters, clusters: config.clusters, clock };
    const bpf = bpfImplementation.createChain(setup);
    if (typeof bpf === 'string') {
      t.notLowerable++;
      return;
    }
    let ts: ChainRunner | undefined;
    try {
      ts = typescriptImplementation.createChain(setup) as ChainRunner;
      t.lowered++;
      let desynced = false;
      const earlier: Array<readonly string[] | undefined> = [];
      steps.forEach((s, i) => {
        t.packets++;
        clock.ms += s.advanceSeconds * 1000;
        const packet = { direction: s.direction, source: s.source, dest: s.dest, metadata: s.metadata };
        const want = ts!.process({ ...packet, contents: Buffer.from(s.contents) }) as PacketOutput;
        if (desynced) {
          t.afterPending++;
          return;
        }
        // The workers drop a multicast or broadcast client before any session exists (engine and
        // pipeline: `disallowed source ip`), so the kernel never holds a flow for one and hands its
        // packets over as no_session. The runner installs a flow for every client; not comparable.
        if (s.direction === 'read' && isDisallowedSource(s.source)) {
          t.noSession++;
          earlier.push(undefined);
          return;
        }
        const where = () =>
          `sequence ${q} step ${i} (${s.direction} from ${s.source.ip}:${s.source.port}${s.direction === 'write' ? ` to ${s.dest.ip}:${s.dest.port}` : ''}, payload hex ${s.contents.toString('hex') || '(empty)'}, metadata ${JSON.stringify([...s.metadata].map(([k, v]) => [k, Buffer.isBuffer(v) ? `hex ${v.toString('hex')}` : v]))}) in ${describeConfig(config)}`;
        let got;
        try {
          got = bpf.process({ ...packet, contents: Buffer.from(s.contents) });
        } catch (err) {
          throw new Error(`the BPF run was inconsistent at ${where()}: ${(err as Error).message}`, { cause: err });
        }
        if ('pending' in got) {
          if (got.pending.startsWith('metadata `')) t.unseedable++;
          else {
            t.pending++;
            const why = /\(([a-z_0-9]+)/.exec(got.pending)?.[1] ?? got.pending;
            t.pendingWhy.set(why, (t.pendingWhy.get(why) ?? 0) + 1);
          }
          // The TS side ran the packet, the kernel did not finish it: a rotation is now apart.
          desynced = stateful;
          earlier.push(undefined);
          return;
        }
        t.compared++;
        if (stateful) t.roundRobin++;
        earlier.push(got.destinations);
        const problems = checkPacket(expectationOf(want, got), got, earlier);
        if (problems.length) throw new Error(`kernel and TypeScript disagree at ${where()}: ${problems.join('; ')}`);
      });
    } finally {
      ts?.close();
      bpf.close();
    }
  });
}

describe('differential fuzzing: in-kernel fast path vs TypeScript filters', function () {
  this.timeout(PROFILE === 'soak' ? 1_800_000 : 120_000);

  before(function () {
    const why = bpfImplementation.unavailable();
    if (!why) return;
    // CI runs as root, so unavailable() never answers there; a CI that says otherwise is broken.
    if (process.env.CI) throw new Error(`BPF is unavailable in CI: ${why}`);
    console.log(`  [fuzz] kernel-differential skipped, BPF unavailable: ${why}`);
    this.skip();
  });

  it(`agrees on the lowerable share of ${TOTAL} generated cases`, function () {
    announce('kernel-differential (XDP fast path)', TOTAL);
    const started = Date.now();
    const tally = newTally();
    const result = fc.check(
      fc.property(generated, (config) => runConfig(config, tally)),
      { seed: SEED, numRuns: Math.ceil(TOTAL / SEQUENCES), endOnFailure: false },
    );
    if (result.failed) {
      const cause = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
      throw new Error(
        `kernel differential mismatch after ${result.numShrinks} shrinks (fast-check seed ${result.seed}, path ${result.counterexamplePath}): ${cause}\n  ${replayHint(__filename, TOTAL)}`,
      );
    }
    const t = tally;
    const why = [...t.pendingWhy].map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
    const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)}%`;
    console.log(
      `  [fuzz] ${t.cases} cases: ${t.lowered} lowered (${pct(t.lowered, t.cases)}), ${t.notLowerable} not lowerable, ${t.invalid} invalid; ` +
        `${t.packets} packets: ${t.compared} agreed (${t.roundRobin} through RoundRobin chains), ${t.pending} pending (${pct(t.pending, t.packets)}: ${why}), ` +
        `${t.unseedable} with unseedable metadata, ${t.noSession} from multicast sources, ${t.afterPending} after a pending one in a RoundRobin chain; ${Date.now() - started} ms`,
    );
    expect(t.cases).to.be.at.least(TOTAL);
    expect(t.lowered / t.cases, 'share of generated cases whose chain lowers').to.be.at.least(MIN_LOWERED_SHARE);
    expect(t.pending / Math.max(1, t.packets), 'share of packets handed off before the chain finished').to.be.at.most(MAX_PENDING_SHARE);
    expect(t.compared, 'packets compared').to.be.greaterThan(t.packets / 2);
  });
});
