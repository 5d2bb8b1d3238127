// SPDX-License-Identifier: Apache-2.0
// Differential fuzzing: generated chains, clusters and packets must give the same output bytes,
// metadata, destinations, drops and Timestamp samples in the TypeScript reference and the native
// engine. A case is one generated config with one packet sequence on a fresh chain; each generated
// config carries SEQUENCES sequences. FUZZ_CASES sets the case count (CI profile 100000; the soak
// profile 450000, >= 1M packets); FUZZ_SEED the seed (test/fuzz/profile.ts).
import { expect } from 'chai';
import fc from 'fast-check';
import { loadTestEngine } from '../support/native-test-addon';
import { configArb, SEQUENCES } from './arbitraries';
import { runDifferentialBatch } from './differential';
import { announce, PROFILE, replayHint, seedFor, sized } from './profile';

const TOTAL = sized(100_000, 450_000);
const CONFIGS_PER_BATCH = 500;
const SEED = seedFor('differential');

describe('differential fuzzing: TypeScript filters vs native engine', function () {
  this.timeout(PROFILE === 'soak' ? 1_800_000 : 300_000);
  const { engine, error } = loadTestEngine();

  before(function () {
    if (!engine) {
      console.log(`  [fuzz] native addon not built (npm run build:native): ${error?.message}`);
      this.skip();
    }
  });

  it(`agrees on ${TOTAL} generated cases`, function () {
    let ran = 0;
    let packets = 0;
    let skipped = 0;
    announce('differential (native engine)', TOTAL);
    const result = fc.check(
      fc.property(
        fc.array(configArb, { minLength: CONFIGS_PER_BATCH, maxLength: CONFIGS_PER_BATCH }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (configs, seed) => {
          const report = runDifferentialBatch(engine!, configs, seed);
          ran += report.cases;
          packets += report.packets;
          skipped += report.skipped;
          if (report.mismatches.length) throw new Error(`${report.mismatches.length} mismatches, first: ${report.mismatches[0]}`);
        },
      ),
      // 5% spare batches cover the rare generated config the validator rejects.
      { seed: SEED, numRuns: Math.max(1, Math.ceil((TOTAL * 1.05) / (CONFIGS_PER_BATCH * SEQUENCES))), endOnFailure: true },
    );
    if (result.failed) {
      const cause = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
      throw new Error(
        `differential mismatch (fast-check seed ${result.seed}, path ${result.counterexamplePath}): ${cause}\n  ${replayHint(__filename, TOTAL)}`,
      );
    }
    console.log(`  [fuzz] ${ran} cases (${packets} packets) agreed; ${skipped} generated configs were invalid`);
    expect(ran).to.be.at.least(TOTAL);
    if (PROFILE === 'soak' && process.env.FUZZ_CASES === undefined) expect(packets, 'soak: >= 1M packets through the native engine').to.be.at.least(1_000_000);
    // Most generated chains must be valid, or the fuzzer is not testing much.
    expect(ran).to.be.greaterThan(skipped * SEQUENCES * 4);
  });
});
