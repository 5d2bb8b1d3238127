// SPDX-License-Identifier: Apache-2.0
// The control side of the engine addon: publishing generations (and reusing an unchanged chain),
// precise errors for bad descriptions, counters and Debug events through a TestChain.
import { expect } from 'chai';
import { parseEndpointAddress, socketAddr } from '../../config/address';
import type { ClusterConfig } from '../../config/model';
import { compileChain } from '../../data-plane/compiler/description';
import { ByteReader, ByteWriter } from '../../data-plane/compiler/wire';
import { filterRegistry } from '../../data-plane/filters/index';
import { FILTER_DURATION_BOUNDS, PROCESSING_BOUNDS } from '../../runtime/metrics';
import { decodeStepResult, encodeStep, normaliseFilters } from '../../test/conformance/native-implementation';
import { loadTestEngine } from '../../test/support/native-test-addon';
import { loadEngine } from './engine-addon';

function clusters(...addresses: string[]): ClusterConfig[] {
  return [{ endpoints: addresses.map((a) => ({ address: parseEndpointAddress(a), tokens: [Buffer.from('tok')], userMetadata: {} })) }];
}

const CAPTURE = { name: 'quilkin.filters.capture.v1alpha1.Capture', config: { suffix: { size: 3, remove: true } } };
const ROUTER = { name: 'quilkin.filters.token_router.v1alpha1.TokenRouter' };
const CONCAT = { name: 'quilkin.filters.concatenate.v1alpha1.Concatenate', config: { on_read: 'APPEND', bytes: 'eHl6' } };

describe('native engine control side', function () {
  const { engine, error } = loadEngine();
  const { engine: testEngine, error: testError } = loadTestEngine();
  before(function () {
    if (!engine || !testEngine) {
      console.log(`  [engine] native addons not built (npm run build:native): ${(error ?? testError)?.message}`);
      this.skip();
    }
  });

  it('publishes generations and reuses the chain when only endpoints change', function () {
    const e = new engine!.Engine();
    const filters = normaliseFilters([CAPTURE, ROUTER, CONCAT]);
    const a = e.publish(compileChain(filters, clusters('127.0.0.1:7001'), filterRegistry()).description);
    expect(a).to.include({ generation: 1, maxGrowth: 3, chainReused: false });
    expect(a.maxDestinations).to.equal(1);
    const b = e.publish(compileChain(filters, clusters('127.0.0.1:7001', '127.0.0.2:7001'), filterRegistry()).description);
    expect(b).to.include({ generation: 2, chainReused: true, maxDestinations: 2 });
    const c = e.publish(compileChain(normaliseFilters([CAPTURE, ROUTER]), clusters('127.0.0.1:7001'), filterRegistry()).description);
    expect(c).to.include({ generation: 3, chainReused: false, maxGrowth: 0 });
  });

  it('rejects a description of another version with a precise message', function () {
    const desc = compileChain([], clusters('127.0.0.1:1'), filterRegistry()).description;
    const other = Buffer.from(desc);
    other.writeUInt16LE(2, 4);
    expect(() => new engine!.Engine().publish(other)).to.throw('chain description: unsupported version 2 (this engine reads version 1) at offset 6');
  });

  it('counts verdicts and routes by token through a TestChain', function () {
    const desc = compileChain(normaliseFilters([CAPTURE, ROUTER]), clusters('127.0.0.1:7001', '[::1]:7002'), filterRegistry()).description;
    const chain = new testEngine!.TestChain(desc, 1);
    const w = new ByteWriter();
    const step = (contents: string) => ({
      direction: 'read' as const,
      nowMs: 0,
      source: socketAddr('10.0.0.1', 5),
      dest: socketAddr('10.0.0.1', 5),
      contents: Buffer.from(contents),
      metadata: new Map(),
    });
    encodeStep(w, step('hellotok'));
    encodeStep(w, step('hellobad'));
    encodeStep(w, step('hi'));
    const r = new ByteReader(chain.run(w.finish(), 3));
    const ok = decodeStepResult(r);
    expect(ok.reason).to.equal(undefined);
    expect(ok.contents.toString()).to.equal('hello');
    expect(ok.destinations).to.deep.equal([0, 1]);
    expect(decodeStepResult(r).reason).to.equal('filter::token_router::no endpoint match');
    expect(decodeStepResult(r).reason).to.equal('filter::capture::no value captured');
    const c = chain.counters();
    expect(c.readPassed).to.equal(1);
    expect(c.readDropped[3]).to.equal(1); // TOKEN_NO_ENDPOINT_MATCH
    expect(c.readDropped[1]).to.equal(1); // CAPTURE_NO_VALUE
  });

  it('exposes histogram bounds matching prom-client defaults', function () {
    expect(engine!.histogramBounds()).to.deep.equal([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  });

  it('times packets in the workers with the bounds of quilkin_packets_processing_duration_seconds', function () {
    expect(engine!.processingBounds()).to.deep.equal(PROCESSING_BOUNDS);
  });

  it('samples per-filter durations with the bounds of quilkin_filter_{read,write}_duration_seconds', function () {
    expect(engine!.filterDurationBounds()).to.deep.equal(FILTER_DURATION_BOUNDS);
  });
});
