// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import type { FilterConfig } from '../../config/model';
import { FilterChain } from './chain';
import type { ChainMetrics } from './filter';
import { QuilkinMetrics } from '../../runtime/metrics';
import { filterRegistry } from './index';
import { filterServices } from './services';
import { readContext, testServices, writeContext } from '../../test/support/filter-services';

const CONCAT = 'quilkin.filters.concatenate.v1alpha1.Concatenate';
const RATE = 'quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit';
const LB = 'quilkin.filters.load_balancer.v1alpha1.LoadBalancer';

function recordingChainMetrics(sampleEvery: number): ChainMetrics & { read: string[]; write: string[] } {
  const read: string[] = [];
  const write: string[] = [];
  return {
    sampleEvery,
    read,
    write,
    readDuration: (filter) => ({ observe: (s) => void (s >= 0 && read.push(filter)) }),
    writeDuration: (filter) => ({ observe: (s) => void (s >= 0 && write.push(filter)) }),
  };
}

describe('FilterChain', () => {
  it('runs reads in order and writes in reverse', () => {
    const services = testServices();
    const chain = FilterChain.build(
      [
        { name: CONCAT, config: { on_read: 'APPEND', on_write: 'APPEND', bytes: 'MQ==' } },
        { name: CONCAT, config: { on_read: 'APPEND', on_write: 'APPEND', bytes: 'Mg==' } },
      ],
      filterRegistry(),
      services,
    );
    const r = readContext('x');
    expect(chain.read(r)).to.equal(undefined);
    expect(r.contents.toString()).to.equal('x12');
    const w = writeContext('x');
    expect(chain.write(w)).to.equal(undefined);
    expect(w.contents.toString()).to.equal('x21');
  });

  it('rejects the whole chain when one filter is invalid, naming its index', () => {
    expect(() =>
      FilterChain.build(
        [
          { name: CONCAT, config: { bytes: '' } },
          { name: RATE, config: { max_packets: 1, period: 0 } },
        ],
        filterRegistry(),
        testServices(),
      ),
    ).to.throw(/filters\[1\].*value must be at least 1 second/);
  });

  it('keeps the instance (and state) of an unchanged filter across a rebuild, and starts changed ones fresh', () => {
    const services = testServices();
    const configs: FilterConfig[] = [
      { name: RATE, config: { max_packets: 1, period: 60 } },
      { name: LB, config: { policy: 'ROUND_ROBIN' } },
    ];
    const first = FilterChain.build(configs, filterRegistry(), services);
    expect(first.read(readContext('a'))).to.equal(undefined);
    const same = FilterChain.build(configs, filterRegistry(), services, first);
    expect(same.filters).to.deep.equal(first.filters);
    expect(same.read(readContext('a'))).to.equal('filter::rate_limit::dropped');
    const changed = FilterChain.build([{ name: RATE, config: { max_packets: 2, period: 60 } }, configs[1]], filterRegistry(), services, same);
    expect(changed.filters[0]).to.not.equal(first.filters[0]);
    expect(changed.filters[1]).to.equal(first.filters[1]);
    expect(changed.read(readContext('a'))).to.equal(undefined);
  });

  // The rule the native engine copies (native/engine/README.md "Across generations").
  it('matches top-level filters only, identical ones claimed in chain order, each at most once', () => {
    const services = testServices();
    const rate = { name: RATE, config: { max_packets: 1, period: 60 } };
    const pass = { name: 'quilkin.filters.pass.v1alpha1.Pass' };
    const match = (branch: FilterConfig): FilterConfig => ({
      name: 'quilkin.filters.match.v1alpha1.Match',
      config: { on_read: { metadataKey: 'k', branches: [{ value: 'x', ...branch }], fallthrough: pass } },
    });
    const build = (configs: FilterConfig[], previous?: FilterChain) => FilterChain.build(configs, filterRegistry(), services, previous);
    const first = build([rate, rate, match(rate)]);
    const fewer = build([pass, rate], first);
    expect(fewer.filters[1]).to.equal(first.filters[0]);
    const more = build([rate, rate, rate], fewer);
    expect(more.filters[0]).to.equal(first.filters[0]);
    expect(more.filters.slice(1)).to.not.include(first.filters[0]);
    // A Match moved behind new filters is kept whole (its nested limiter with it); a limiter moved
    // into or out of a branch is a different filter.
    const moved = build([pass, match(rate)], first);
    expect(moved.filters[1]).to.equal(first.filters[2]);
    const capture = { name: 'quilkin.filters.capture.v1alpha1.Capture', config: { metadataKey: 'k', suffix: { size: 1, remove: false } } };
    const solo = build([rate]);
    expect(solo.read(readContext('x'))).to.equal(undefined);
    expect(solo.read(readContext('x'))).to.equal('filter::rate_limit::dropped');
    const into = build([capture, match(rate)], solo);
    expect(into.read(readContext('x'))).to.equal(undefined);
    expect(into.read(readContext('x'))).to.equal('filter::rate_limit::dropped');
    const out = build([rate], into);
    expect(out.read(readContext('x'))).to.equal(undefined);
  });

  it('times one packet in sampleEvery per filter, in both directions', () => {
    const metrics = recordingChainMetrics(4);
    const services = testServices({ chainMetrics: metrics });
    const chain = FilterChain.build([{ name: CONCAT, config: { on_read: 'APPEND', on_write: 'PREPEND', bytes: 'YQ==' } }], filterRegistry(), services);
    for (let i = 0; i < 8; i++) {
      chain.read(readContext('x'));
      chain.write(writeContext('x'));
    }
    expect(metrics.read).to.deep.equal([CONCAT, CONCAT]);
    expect(metrics.write).to.deep.equal([CONCAT, CONCAT]);
  });

  it('does not time anything when sampling is disabled', () => {
    const metrics = recordingChainMetrics(0);
    const chain = FilterChain.build(
      [{ name: CONCAT, config: { on_read: 'APPEND', bytes: 'YQ==' } }],
      filterRegistry(),
      testServices({ chainMetrics: metrics }),
    );
    for (let i = 0; i < 10; i++) chain.read(readContext('x'));
    expect(metrics.read).to.deep.equal([]);
  });
});

describe('filter metrics through the real Prometheus registry', () => {
  it('exports sampled chain durations and Match counters under Quilkin names and labels', async () => {
    const previous = process.env.QUILKIN_FILTER_DURATION_SAMPLE_EVERY;
    process.env.QUILKIN_FILTER_DURATION_SAMPLE_EVERY = '2';
    try {
      const metrics = new QuilkinMetrics();
      const registry = filterRegistry();
      const services = filterServices(registry, metrics, { log: { info: () => undefined, warn: () => undefined, debug: () => undefined } });
      const match = { on_read: { metadataKey: 'k', branches: [{ value: 'a', name: 'quilkin.filters.pass.v1alpha1.Pass' }] } };
      const chain = FilterChain.build([{ name: 'quilkin.filters.match.v1alpha1.Match', config: match }], registry, services);
      for (let i = 0; i < 4; i++) chain.read(readContext('x', { metadata: new Map([['k', 'a']]) }));
      const text = await metrics.render();
      expect(text).to.include('quilkin_filter_read_duration_seconds_count{filter="quilkin.filters.match.v1alpha1.Match"} 2');
      expect(text).to.match(
        /quilkin_filter_int_counter\{id="quilkin.filters.match.v1alpha1.Match",label="packets_matched_total",help="[^"]+",event="read"\} 4/,
      );
    } finally {
      if (previous === undefined) delete process.env.QUILKIN_FILTER_DURATION_SAMPLE_EVERY;
      else process.env.QUILKIN_FILTER_DURATION_SAMPLE_EVERY = previous;
    }
  });
});
