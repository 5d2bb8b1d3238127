// SPDX-License-Identifier: Apache-2.0
// Hostile input on the native entry points: truncated, oversized (65507 bytes), zero-length and
// random packets through every filter kind, and garbage or truncated chain descriptions. Nothing may
// crash (run it under ASan/UBSan: scripts/test-native-asan.sh), every packet gets exactly one
// counted verdict, and every bad description is rejected with a message.
import { expect } from 'chai';
import fc from 'fast-check';
import { socketAddr } from '../../config/address';
import { compileChain } from '../../data-plane/compiler/description';
import { ByteReader, ByteWriter } from '../../data-plane/compiler/wire';
import { filterRegistry } from '../../data-plane/filters/index';
import { loadEngine } from '../../native/engine/engine-addon';
import { loadTestEngine } from '../support/native-test-addon';
import { decodeStepResult, encodeStep, normaliseFilters } from '../conformance/native-implementation';
import { clustersArb, configArb } from './arbitraries';
import { announce, seedFor, withReplaySync } from './profile';

const SEED = seedFor('hostile');

const MAX_UDP_PAYLOAD = 65507;

function hostilePackets(seed: number): Buffer[] {
  const rand = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 2048 }), { seed: SEED + seed, numRuns: 20 }).map((a) => Buffer.from(a));
  const big = Buffer.alloc(MAX_UDP_PAYLOAD, 0x61);
  const bigRandom = Buffer.from(fc.sample(fc.uint8Array({ minLength: MAX_UDP_PAYLOAD, maxLength: MAX_UDP_PAYLOAD }), { seed: SEED + seed, numRuns: 1 })[0]);
  return [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0xff]), big, bigRandom, big.subarray(0, MAX_UDP_PAYLOAD - 1), ...rand];
}

describe('native engine under hostile input', function () {
  this.timeout(120_000);
  const { engine, error } = loadEngine();
  const { engine: testEngine, error: testError } = loadTestEngine();

  before(function () {
    if (!engine || !testEngine) {
      console.log(`  [hostile] native addons not built (npm run build:native): ${(error ?? testError)?.message}`);
      this.skip();
    }
  });

  it('gives every hostile packet through generated chains one counted verdict', function () {
    announce('hostile packets (native engine)', 60, 'generated chains');
    withReplaySync(__filename, 60, () => hostileVerdicts());
  });

  function hostileVerdicts(): void {
    const configs = fc.sample(configArb, { seed: SEED ^ 42, numRuns: 60 });
    let runs = 0;
    for (const [i, config] of configs.entries()) {
      let description: Buffer;
      try {
        description = compileChain(normaliseFilters(config.filters), config.clusters, filterRegistry()).description;
      } catch {
        continue;
      }
      const chain = new testEngine!.TestChain(description, i + 1);
      const packets = hostilePackets(i);
      const w = new ByteWriter();
      const sources = [socketAddr('127.0.0.1', 9), socketAddr('::1', 0), socketAddr('10.0.0.1', 65535)];
      packets.forEach((contents, k) => {
        encodeStep(w, {
          direction: k % 3 === 2 ? 'write' : 'read',
          nowMs: 1_700_000_000_000 + k * 700,
          source: sources[k % 3],
          dest: sources[(k + 1) % 3],
          contents,
          metadata: new Map(),
        });
      });
      const r = new ByteReader(chain.run(w.finish(), packets.length));
      for (let k = 0; k < packets.length; k++) {
        const res = decodeStepResult(r);
        if (res.reason === undefined && k % 3 !== 2) expect(res.destinations.length, 'a forwarded read has destinations').to.be.greaterThan(0);
      }
      expect(r.remaining).to.equal(0);
      const c = chain.counters();
      const total = c.readPassed + c.writePassed + c.readDropped.reduce((a, b) => a + b, 0) + c.writeDropped.reduce((a, b) => a + b, 0);
      expect(total, `every packet counted once (config ${i})`).to.equal(packets.length);
      runs++;
    }
    expect(runs).to.be.greaterThan(40);
  }

  it('rejects truncated, corrupted and random chain descriptions with a message', function () {
    withReplaySync(__filename, 40, () => garbageDescriptions());
  });

  function garbageDescriptions(): void {
    const configs = fc.sample(configArb, { seed: SEED ^ 7, numRuns: 40 });
    let rejected = 0;
    const attempt = (bytes: Buffer): void => {
      try {
        new testEngine!.TestChain(bytes, 1);
      } catch (err) {
        expect((err as Error).message).to.match(/^chain description: /);
        rejected++;
      }
    };
    for (const config of configs) {
      let description: Buffer;
      try {
        description = compileChain(normaliseFilters(config.filters), config.clusters, filterRegistry()).description;
      } catch {
        continue;
      }
      for (let cut = 0; cut < description.length; cut += Math.max(1, Math.floor(description.length / 16))) attempt(description.subarray(0, cut));
      for (const flip of fc.sample(fc.tuple(fc.nat(description.length - 1), fc.integer({ min: 1, max: 255 })), {
        seed: SEED + description.length,
        numRuns: 16,
      })) {
        const copy = Buffer.from(description);
        copy[flip[0]] ^= flip[1];
        attempt(copy);
      }
    }
    for (const bytes of fc.sample(fc.uint8Array({ maxLength: 512 }), { seed: SEED ^ 3, numRuns: 200 })) attempt(Buffer.from(bytes));
    expect(rejected).to.be.greaterThan(200);
  }

  it('keeps the Engine object usable after a rejected publish', function () {
    const e = new engine!.Engine();
    const clusters = fc.sample(clustersArb, { seed: SEED ^ 1, numRuns: 1 })[0];
    const good = compileChain([], clusters, filterRegistry()).description;
    const first = e.publish(good);
    expect(() => e.publish(Buffer.from('not a description'))).to.throw(/chain description: /);
    const second = e.publish(good);
    expect(second.generation).to.equal(first.generation + 1);
    expect(second.chainReused).to.equal(true);
  });
});
