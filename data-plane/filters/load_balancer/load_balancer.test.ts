// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { addr, readContext, testServices } from '../../../test/support/filter-services';
import { hashSource, loadBalancerFactory } from './load_balancer';

const endpoints = [{ address: '127.0.0.1:7000' }, { address: '127.0.0.1:7001' }, { address: '127.0.0.1:7002' }];

describe('LoadBalancer', () => {
  it('RANDOM takes its index from the injected randomness', () => {
    const picks = [0, 0.5, 0.99];
    const services = testServices({ random: () => picks.shift()! });
    const f = loadBalancerFactory.create(loadBalancerFactory.validate({ policy: 'RANDOM' }), services);
    const got = [0, 1, 2].map(() => {
      const ctx = readContext('x', { endpoints });
      f.read!(ctx);
      return ctx.destinations[0].port;
    });
    expect(got).to.deep.equal([7000, 7001, 7002]);
  });

  it('HASH spreads different clients over the endpoints', () => {
    const f = loadBalancerFactory.create(loadBalancerFactory.validate({ policy: 'HASH' }), testServices());
    const seen = new Set<number>();
    for (let port = 1000; port < 1100; port++) {
      const ctx = readContext('x', { endpoints, source: `10.0.0.1:${port}` });
      f.read!(ctx);
      seen.add(ctx.destinations[0].port);
    }
    expect(seen.size).to.equal(3);
    expect(hashSource(addr('10.0.0.1:1'))).to.not.equal(hashSource(addr('10.0.0.1:2')));
  });

  it("replaces earlier filters' destinations with its one pick (Quilkin v0.9)", () => {
    const f = loadBalancerFactory.create(loadBalancerFactory.validate({}), testServices());
    const ctx = readContext('x', { endpoints });
    ctx.destinations.push(ctx.endpoints.addresses[2]);
    f.read!(ctx);
    expect(ctx.destinations.map((d) => d.port)).to.deep.equal([7000]);
  });
});
