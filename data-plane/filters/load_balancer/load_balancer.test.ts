// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { addr, readContext, testServices } from '../../../test/support/filter-services';
import { hashSource, LOAD_BALANCER_NAME, loadBalancerFactory } from './load_balancer';
import { LB_POLICY, STEP } from '../../../bpf/fast-abi';
import { lowered, program, step } from '../../../test/support/lowering';

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

describe('LoadBalancer in the kernel', () => {
  it('lowers each policy; round robin takes one cell of its own', () => {
    const lb = (policy: string) => ({ name: LOAD_BALANCER_NAME, config: { policy } });
    const chain = lowered([lb('ROUND_ROBIN'), lb('RANDOM'), lb('HASH'), lb('ROUND_ROBIN')]);
    expect(program(chain, 'read')).to.deep.equal([
      step({ kind: STEP.LOAD_BALANCER, op: LB_POLICY.ROUND_ROBIN, arg: 0, slot: 0 }),
      step({ kind: STEP.LOAD_BALANCER, op: LB_POLICY.RANDOM, slot: 1 }),
      step({ kind: STEP.LOAD_BALANCER, op: LB_POLICY.HASH, slot: 2 }),
      step({ kind: STEP.LOAD_BALANCER, op: LB_POLICY.ROUND_ROBIN, arg: 1, slot: 3 }),
    ]);
    expect(program(chain, 'write')).to.deep.equal([]);
    expect(chain.cells).to.equal(2);
    expect(chain.summary).to.equal('read: LoadBalancer(round robin) > LoadBalancer(random) > LoadBalancer(hash) > LoadBalancer(round robin); write: (empty)');
  });
});
