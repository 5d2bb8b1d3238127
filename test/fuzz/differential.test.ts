// SPDX-License-Identifier: Apache-2.0
// Differential fuzzing: generated chains, clusters and packets must give the same output bytes,
// metadata, destinations, drops and Timestamp samples in the TypeScript reference and the native
// engine. FUZZ_CASES sets the case count (default 100000, as CI runs it).
import { expect } from 'chai';
import fc from 'fast-check';
import { loadEngine } from '../../native/engine/engine-addon';
import { caseArb } from './arbitraries';
import { runDifferentialBatch } from './differential';

const TOTAL = Number(process.env.FUZZ_CASES ?? 100_000);
const BATCH = 1000;

describe('differential fuzzing: TypeScript filters vs native engine', function () {
  this.timeout(300_000);
  const { engine, error } = loadEngine();

  before(function () {
    if (!engine) {
      console.log(`  [fuzz] native addon not built (npm run build:native): ${error?.message}`);
      this.skip();
    }
  });

  it(`agrees on ${TOTAL} generated cases`, function () {
    let ran = 0;
    let skipped = 0;
    fc.assert(
      fc.property(fc.array(caseArb, { minLength: BATCH, maxLength: BATCH }), fc.integer({ min: 1, max: 0x7fffffff }), (cases, seed) => {
        const report = runDifferentialBatch(engine!, cases, seed);
        ran += report.ran;
        skipped += report.skipped;
        if (report.mismatches.length) throw new Error(`${report.mismatches.length} mismatches, first: ${report.mismatches[0]}`);
      }),
      { numRuns: Math.max(1, Math.ceil(TOTAL / BATCH)), endOnFailure: true },
    );
    console.log(`  [fuzz] ${ran} cases agreed (${skipped} generated chains were invalid configs)`);
    // Most generated chains must be valid, or the fuzzer is not testing much.
    expect(ran).to.be.greaterThan(skipped * 4);
  });
});
