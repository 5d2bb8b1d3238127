// SPDX-License-Identifier: Apache-2.0
// Property-based tests of filter invariants, over the real registry and chain (fast-check).
import { expect } from 'chai';
import fc from 'fast-check';
import type { FilterConfig } from '../../config/model';
import { FilterChain } from '../../data-plane/filters/chain';
import { filterRegistry } from '../../data-plane/filters/index';
import { readContext, testServices } from '../support/filter-services';
import { firewallReference, ipv4Text, type RuleModel } from './firewall-reference';

const CAPTURE = 'quilkin.filters.capture.v1alpha1.Capture';
const CONCATENATE = 'quilkin.filters.concatenate.v1alpha1.Concatenate';
const TOKEN_ROUTER = 'quilkin.filters.token_router.v1alpha1.TokenRouter';
const FIREWALL = 'quilkin.filters.firewall.v1alpha1.Firewall';
const RATE = 'quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit';

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const build = (configs: FilterConfig[], services = testServices()) => FilterChain.build(configs, filterRegistry(), services);

describe('filter properties', () => {
  it('capture (remove) then concatenate of the same bytes is the identity, at either end', () => {
    fc.assert(
      fc.property(bytes(64), bytes(16), fc.boolean(), (payload, token, atHead) => {
        const chain = build([
          { name: CAPTURE, config: { [atHead ? 'prefix' : 'suffix']: { size: token.length, remove: true } } },
          { name: CONCATENATE, config: { on_read: atHead ? 'PREPEND' : 'APPEND', bytes: token.toString('base64') } },
        ]);
        const packet = atHead ? Buffer.concat([token, payload]) : Buffer.concat([payload, token]);
        const ctx = readContext(Buffer.from(packet));
        expect(chain.read(ctx)).to.equal(undefined);
        expect(ctx.contents.equals(packet)).to.equal(true);
        expect((ctx.metadata.get('quilkin.dev/capture') as Buffer).equals(token)).to.equal(true);
      }),
    );
  });

  it('TokenRouter routes to exactly the endpoints holding the token, never to one that lacks it', () => {
    const token = fc.constantFrom('a', 'b', 'c', 'é', '\u0000\u00ff', '');
    const endpoint = fc.record({ port: fc.integer({ min: 1, max: 65535 }), v6: fc.boolean(), tokens: fc.uniqueArray(token, { maxLength: 3 }) });
    fc.assert(
      fc.property(fc.uniqueArray(endpoint, { minLength: 1, maxLength: 6, selector: (e) => `${e.v6}:${e.port}` }), token, (endpoints, wanted) => {
        const list = endpoints.map((e) => ({ address: e.v6 ? `[::1]:${e.port}` : `127.0.0.1:${e.port}`, tokens: e.tokens }));
        const ctx = readContext('x', { endpoints: list, metadata: new Map([['quilkin.dev/capture', Buffer.from(wanted)]]) });
        const result = build([{ name: TOKEN_ROUTER }]).read(ctx);
        // Reference: a linear scan of every endpoint's tokens (the filter uses the hash index).
        const holders = ctx.endpoints.endpoints.filter((e) => e.tokens.some((t) => t.equals(Buffer.from(wanted)))).map((e) => e.address.key);
        const got = ctx.destinations.map((d) => d.key);
        for (const key of got) {
          const held = ctx.endpoints.endpoints.find((e) => e.address.key === key)!.tokens;
          expect(
            held.some((t) => t.equals(Buffer.from(wanted))),
            `${key} lacks the token`,
          ).to.equal(true);
        }
        expect(got.sort()).to.deep.equal(holders.sort());
        expect(result).to.equal(holders.length === 0 ? 'filter::token_router::no endpoint match' : undefined);
      }),
    );
  });

  it('Firewall: the first matching rule decides, no match denies', () => {
    const cidr = fc.record({ base: fc.integer({ min: 0, max: 0xffffffff }), prefix: fc.integer({ min: 0, max: 32 }) });
    const ports = fc.integer({ min: 0, max: 65534 }).chain((min) => fc.record({ min: fc.constant(min), max: fc.integer({ min: min + 1, max: 65535 }) }));
    const rule = fc.record({
      allow: fc.boolean(),
      sources: fc.array(cidr, { minLength: 1, maxLength: 3 }),
      ports: fc.array(ports, { minLength: 1, maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(rule, { maxLength: 5 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 65535 }),
        (rules: RuleModel[], ip, port) => {
          const toConfig = (r: RuleModel) => ({
            action: r.allow ? 'ALLOW' : 'DENY',
            sources: r.sources.map((s) => `${ipv4Text(s.base)}/${s.prefix}`),
            ports: r.ports.map((p) => `${p.min}-${p.max}`),
          });
          const chain = build([{ name: FIREWALL, config: { on_read: rules.map(toConfig), on_write: [] } }]);
          const ctx = readContext('x', { source: `${ipv4Text(ip)}:${port}` });
          const allowed = chain.read(ctx) === undefined;
          expect(allowed).to.equal(firewallReference(rules, ip, port));
        },
      ),
    );
  });

  it('LocalRateLimit never passes more than max_packets in one instant, nor 2 x max in any period-long span', () => {
    const step = fc.record({ source: fc.integer({ min: 0, max: 2 }), advanceMs: fc.constantFrom(0, 0, 0, 250, 999, 1000, 2500) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.array(step, { maxLength: 60 }), (max, period, steps) => {
        const services = testServices();
        const chain = build([{ name: RATE, config: { max_packets: max, period } }], services);
        const passes: Array<{ source: number; ms: number; secs: number }> = [];
        for (const s of steps) {
          services.clockMs += s.advanceMs;
          if (chain.read(readContext('x', { source: `10.0.0.${s.source + 1}:4000` })) === undefined) {
            passes.push({ source: s.source, ms: services.clockMs, secs: Math.floor(services.clockMs / 1000) });
          }
        }
        for (const p of passes) {
          const sameSource = passes.filter((q) => q.source === p.source);
          expect(sameSource.filter((q) => q.ms === p.ms).length).to.be.at.most(max);
          expect(sameSource.filter((q) => q.secs >= p.secs && q.secs <= p.secs + period).length).to.be.at.most(2 * max);
        }
        if (max === 0) expect(passes).to.deep.equal([]);
      }),
    );
  });
});
