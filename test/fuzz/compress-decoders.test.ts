// SPDX-License-Identifier: Apache-2.0
// Compress under hostile input, on every implementation: random bytes, bytes behind a plausible
// length header, and mutated (flipped, truncated, extended) valid packets go to DECOMPRESS. Nothing
// may throw or crash, a failure is always the counted drop `filter::compression::io`, no output
// passes the 65507-byte datagram limit, and the decoders (deterministic, unlike the encoders) agree
// byte for byte across implementations. COMPRESS_FUZZ_PACKETS sets the count per mode.
import { expect } from 'chai';
import fc from 'fast-check';
import { socketAddr } from '../../config/address';
import { parseClusters } from '../../config/parse';
import { IssueCollector } from '../../config/issues';
import { COMPRESS_NAME, COMPRESSION_DROP } from '../../data-plane/filters/compress/compress';
import { lz4Codec, MAX_OUTPUT, snappyCodec } from '../../data-plane/filters/compress/codecs';
import {
  type ChainRunner,
  type Implementation,
  IMPLEMENTATIONS,
  type PacketOutput,
  type PacketPending,
  type RawFilterConfig,
} from '../conformance/implementations';
import { announce, PROFILE, seedFor, withReplaySync } from './profile';

const PACKETS = Number(process.env.COMPRESS_FUZZ_PACKETS ?? (PROFILE === 'soak' ? 30000 : 3000));
const SEED = seedFor('compress-decoders');
const MODES = { SNAPPY: snappyCodec, LZ4: lz4Codec } as const;

/** Valid packets of the mode, then each one damaged in one of several ways. */
function hostileInputs(mode: keyof typeof MODES, seed: number): Buffer[] {
  const codec = MODES[mode];
  const plain = fc.sample(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.string({ maxLength: 400 }).map((s) => new TextEncoder().encode(s.repeat(3))),
    ),
    { seed, numRuns: PACKETS / 3 },
  );
  const valid = plain.map((p) => {
    const r = codec.encode(Buffer.from(p));
    if (!r.ok) throw new Error(r.error);
    return r.contents;
  });
  const damage = fc.sample(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 4 })), { seed: seed + 1, numRuns: valid.length });
  const mutated = valid.map((v, i) => {
    const [at, value, how] = damage[i]!;
    const b = Buffer.from(v);
    if (how === 0 && b.length) b[at % b.length] ^= 1 << (value % 8);
    if (how === 1) return b.subarray(0, at % (b.length + 1));
    if (how === 2) return Buffer.concat([b, Buffer.from([value & 0xff])]);
    if (how === 3 && b.length) b[0] = value & 0xff; // another claimed length
    if (how === 4 && b.length > 2) b[b.length - 1 - (at % Math.min(8, b.length - 1))] = value & 0xff;
    return b;
  });
  const random = fc.sample(fc.uint8Array({ maxLength: 512 }), { seed: seed + 2, numRuns: PACKETS / 3 }).map((a) => Buffer.from(a));
  return [...mutated, ...random, Buffer.alloc(0), Buffer.alloc(MAX_OUTPUT, 0xff), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])];
}

function clusters() {
  const issues = new IssueCollector();
  return parseClusters([{ endpoints: [{ address: '127.0.0.1:7001' }] }], issues);
}

/** The implementations that can run `filters` here (one that cannot lower Compress, the in-kernel
 * path, says so and sits this out), with a runner each. */
function runnersFor(filters: RawFilterConfig[]): { available: Implementation[]; runners: ChainRunner[] } {
  const available: Implementation[] = [];
  const runners: ChainRunner[] = [];
  for (const impl of IMPLEMENTATIONS.filter((i) => i.unavailable() === undefined)) {
    const runner = impl.createChain({ filters, clusters: clusters(), clock: { now: () => 1_700_000_000_000 } });
    if (typeof runner === 'string') continue;
    available.push(impl);
    runners.push(runner);
  }
  return { available, runners };
}

function judged(out: PacketOutput | PacketPending): PacketOutput {
  if ('pending' in out) throw new Error(`no outcome: ${out.pending}`);
  return out;
}

describe('Compress: hostile input to DECOMPRESS', function () {
  this.timeout(120_000);

  for (const mode of ['SNAPPY', 'LZ4'] as const) {
    it(`${mode}: never throws, drops with the compression reason, agrees across implementations`, function () {
      const filters = [{ name: COMPRESS_NAME, config: { mode, on_read: 'DECOMPRESS', on_write: 'DO_NOTHING' } }];
      const { available, runners } = runnersFor(filters);
      const inputs = hostileInputs(mode, SEED + (mode === 'SNAPPY' ? 11 : 12));
      announce(`compress ${mode} decoders`, inputs.length, 'packets');
      withReplaySync(__filename, PACKETS, () => {
        let drops = 0;
        let stricter = 0;
        for (const input of inputs) {
          const outputs: PacketOutput[] = runners.map((r) =>
            judged(
              r.process({
                direction: 'read',
                source: socketAddr('127.0.0.1', 8000),
                dest: socketAddr('127.0.0.1', 8000),
                contents: input,
                metadata: new Map(),
              }),
            ),
          );
          for (const out of outputs) {
            if (out.dropped) expect(out.reason).to.equal(COMPRESSION_DROP);
            else expect(out.contents?.length ?? 0).to.be.at.most(MAX_OUTPUT);
          }
          const [first, ...rest] = outputs;
          for (const [i, other] of rest.entries()) {
            const where = `${available[i + 1]!.name} vs ${available[0]!.name} on ${input.toString('hex').slice(0, 80)}`;
            if (mode === 'LZ4' && other.dropped && !first!.dropped) {
              // liblz4 refuses some malformed blocks that lz4_flex (Quilkin's decoder) reads, never
              // the other way round (README "Deliberate differences").
              stricter++;
              continue;
            }
            expect(other.dropped, where).to.equal(first!.dropped);
            if (!other.dropped && !first!.dropped) expect(other.contents?.toString('hex'), where).to.equal(first!.contents?.toString('hex'));
          }
          if (first!.dropped) drops++;
        }
        for (const r of runners) r.close();
        if (stricter) console.log(`  [compress] ${mode}: ${stricter} of ${inputs.length} malformed blocks refused by liblz4 only`);
        expect(stricter).to.be.lessThan(inputs.length / 20);
        // Most damaged packets must fail, or the generator is not reaching the error paths.
        expect(drops).to.be.greaterThan(inputs.length / 2);
        expect(drops).to.be.lessThan(inputs.length);
      });
    });
  }

  it('COMPRESS of an incompressible datagram drops on every implementation instead of growing past the limit', function () {
    const noise = Buffer.from(fc.sample(fc.uint8Array({ minLength: MAX_OUTPUT, maxLength: MAX_OUTPUT }), { seed: SEED ^ 5, numRuns: 1 })[0]!);
    for (const mode of ['SNAPPY', 'LZ4'] as const) {
      const { available, runners } = runnersFor([{ name: COMPRESS_NAME, config: { mode, on_read: 'COMPRESS', on_write: 'DO_NOTHING' } }]);
      runners.forEach((runner, i) => {
        const at = (contents: Buffer) =>
          judged(
            runner.process({ direction: 'read', source: socketAddr('127.0.0.1', 8000), dest: socketAddr('127.0.0.1', 8000), contents, metadata: new Map() }),
          );
        expect(at(noise), `${available[i]!.name} ${mode}`).to.include({ dropped: true, reason: COMPRESSION_DROP });
        expect(at(noise.subarray(0, MAX_OUTPUT - 1000)).dropped, `${available[i]!.name} ${mode}`).to.equal(false);
        runner.close();
      });
    }
  });
});
