// SPDX-License-Identifier: Apache-2.0
// Runs every filter vector (per-filter vectors.yaml and cases.yaml, chain.yaml) against every registered implementation.
// Cases an implementation cannot run are marked pending with the reason, never counted as passed,
// unless the implementation declines them by design with a reason it documents
// (Implementation.documentedDeclines): the case then checks that the decline is that one.
import { expect } from 'chai';
import { checkPacket } from './check';
import { type CaseClock, type Implementation, IMPLEMENTATIONS } from './implementations';
import { filterVectorFiles, loadVectorFile, type VectorCase } from './vectors';

/** Arbitrary whole-second start time, so window arithmetic in seconds is exact. */
const T0_MS = 1_700_000_000_000;

class StepClock implements CaseClock {
  private ms = T0_MS;
  now(): number {
    return this.ms;
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

function runConfigCase(impl: Implementation, c: Extract<VectorCase, { kind: 'config' }>): void {
  const result = impl.validateChain(c.filters);
  if (!c.expect.valid) {
    expect(result.valid, 'config must be rejected').to.equal(false);
    if (!result.valid && c.expect.errorContains) expect(result.error).to.include(c.expect.errorContains);
    return;
  }
  expect(result.valid, result.valid ? '' : `config must be accepted, got: ${result.error}`).to.equal(true);
  if (result.valid && c.expect.normalized !== undefined) expect(result.normalized[0]).to.deep.equal(c.expect.normalized);
}

function runPacketCase(impl: Implementation, c: Extract<VectorCase, { kind: 'packets' }>, skip: (reason: string) => void): void {
  const clock = new StepClock();
  const runner = impl.createChain({ filters: c.filters, clusters: c.clusters, clock });
  if (typeof runner === 'string') return skip(runner);
  try {
    const destinations: Array<readonly string[] | undefined> = [];
    c.steps.forEach((step, i) => {
      clock.advance(step.advanceSeconds);
      const out = runner.process({
        direction: step.direction,
        source: step.source,
        dest: step.dest,
        contents: Buffer.from(step.input),
        metadata: step.metadata,
      });
      if ('pending' in out) return skip(`step ${i}: ${out.pending}`);
      destinations.push(out.destinations);
      const problems = checkPacket(step.expect, out, destinations);
      expect(problems, `step ${i}`).to.deep.equal([]);
    });
  } finally {
    runner.close();
  }
}

const files = filterVectorFiles().map((f) => loadVectorFile(f.file, f.label));

for (const impl of IMPLEMENTATIONS) {
  describe(`conformance: ${impl.name}`, function () {
    const unavailable = impl.unavailable();
    before(function () {
      if (unavailable) {
        console.log(`  [conformance] ${impl.name} unavailable: ${unavailable}`);
        this.skip();
      }
    });
    for (const file of files) {
      describe(file.label, () => {
        for (const c of file.cases) {
          it(c.name, function () {
            if (c.kind === 'config') return runConfigCase(impl, c);
            runPacketCase(impl, c, (reason) => {
              // Declined by design (and checked to be one of the documented reasons): passes.
              if (impl.documentedDeclines?.some((re) => re.test(reason))) return;
              console.log(`  [conformance] ${impl.name} cannot run ${file.label} ${c.name}: ${reason}`);
              this.skip();
            });
          });
        }
      });
    }
  });
}
