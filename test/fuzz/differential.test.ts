// SPDX-License-Identifier: Apache-2.0
// Differential fuzzing: generated chains, clusters and packets must give the same output bytes,
// metadata, destinations, drops and Timestamp samples in the TypeScript reference and the native
// engine. A case is one generated config with one packet sequence on a fresh chain; each generated
// config carries SEQUENCES sequences. FUZZ_CASES sets the case count (default 100000, as CI runs it).
import { expect } from 'chai';
import fc from 'fast-check';
import { loadTestEngine } from '../support/native-test-addon';
import { configArb, SEQUENCES } from './arbitraries';
import { runDifferentialBatch } from './differential';

const TOTAL = Number(process.env.FUZZ_CASES ?? 100_000);
const CONFIGS_PER_BATCH = 500;

describe('differential fuzzing: TypeScript filters vs native engine', function () {
  this.timeout(300_000);
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
    fc.assert(
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
      { numRuns: Math.max(1, Math.ceil((TOTAL * 1.05) / (CONFIGS_PER_BATCH * SEQUENCES))), endOnFailure: true },
    );
    console.log(`  [fuzz] ${ran} cases (${packets} packets) agreed; ${skipped} generated configs were invalid`);
    expect(ran).to.be.at.least(TOTAL);
    // Most generated chains must be valid, or the fuzzer is not testing much.
    expect(ran).to.be.greaterThan(skipped * SEQUENCES * 4);
  });
});
