// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { parseConfigText } from '../config/parse';
import type { Config } from '../config/model';
import { filterRegistry } from '../data-plane/filters';
import { decodeDelta, resourcesOf } from './codec';
import type { XdsResource } from './messages';
import { quilkinMessageTypes } from './loader';
import { CLUSTER_TYPE, DATACENTER_TYPE, FILTER_CHAIN_TYPE, type ResourceType } from './type-urls';

const YAML = `
version: v1alpha1
clusters:
  - locality: eu:west:a
    endpoints:
      - address: 127.0.0.1:7001
        metadata: { quilkin.dev: { tokens: [YWJj, eHl6] }, owner: { team: blue, n: 3 } }
      - address: "[2001:db8::1]:7002"
  - endpoints:
      - address: game.example:7003
filters:
  - name: quilkin.filters.pass.v1alpha1.Pass
    label: first
  - name: quilkin.filters.drop.v1alpha1.Drop
`;

function config(text = YAML): Config {
  const result = parseConfigText(text, filterRegistry());
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function asDelta(type: ResourceType, cfg: Config): XdsResource[] {
  return [...resourcesOf(cfg, type).values()].map((r) => ({ name: r.name, version: r.version, resource: { type_url: type, value: r.value } }));
}

const ctx = { validator: filterRegistry(), currentDatacenters: [] };

describe('proto codec', () => {
  it('round-trips clusters (IPv4, IPv6, DNS, tokens, user metadata, localities)', () => {
    const cfg = config();
    const resources = asDelta(CLUSTER_TYPE, cfg);
    expect(resources.map((r) => r.name).sort()).to.deep.equal(['', 'eu:west:a']);
    const result = decodeDelta(CLUSTER_TYPE, resources, [], ctx);
    if (!result.ok) throw new Error(result.error);
    expect(result.patch.clusters).to.deep.equal(cfg.clusters);
  });

  it('gives equal content equal versions and changed content a new one', () => {
    const a = resourcesOf(config(), CLUSTER_TYPE).get('eu:west:a');
    const b = resourcesOf(config(), CLUSTER_TYPE).get('eu:west:a');
    const c = resourcesOf(config(YAML.replace('7001', '7011')), CLUSTER_TYPE).get('eu:west:a');
    expect(a?.version).to.match(/^\d+$/).and.equal(b?.version);
    expect(c?.version).to.not.equal(a?.version);
  });

  it('round-trips the filter chain with labels', () => {
    const cfg = config();
    const result = decodeDelta(FILTER_CHAIN_TYPE, asDelta(FILTER_CHAIN_TYPE, cfg), [], ctx);
    if (!result.ok) throw new Error(result.error);
    expect(result.patch.filters).to.deep.equal(cfg.filters);
  });

  it('reads the v0.9 host string when host2 is absent', () => {
    const { cluster } = quilkinMessageTypes();
    const value = Buffer.from(cluster.encode(cluster.fromObject({ endpoints: [{ host: '::1', port: 9 }, { host: '10.0.0.1', port: 8 }] })).finish());
    const result = decodeDelta(CLUSTER_TYPE, [{ name: '', version: '1', resource: { type_url: CLUSTER_TYPE, value } }], [], ctx);
    if (!result.ok) throw new Error(result.error);
    expect(result.patch.clusters?.[0].endpoints.map((e) => e.address.key)).to.deep.equal(['10.0.0.1:8', '[::1]:9']);
  });

  it('rejects an unknown filter with the path and reason', () => {
    const { filterChain } = quilkinMessageTypes();
    const value = Buffer.from(filterChain.encode(filterChain.fromObject({ filters: [{ name: 'quilkin.filters.nope.v1alpha1.Nope' }] })).finish());
    const result = decodeDelta(FILTER_CHAIN_TYPE, [{ name: 'filter_chain', version: '1', resource: { type_url: FILTER_CHAIN_TYPE, value } }], [], ctx);
    expect(result.ok).to.equal(false);
    if (!result.ok) expect(result.error).to.contain('filters[0].name').and.contain('not found');
  });

  it('rejects bad tokens, bytes that are not a message and a mismatched Any type', () => {
    const bad = decodeDelta(CLUSTER_TYPE, asDelta(CLUSTER_TYPE, config()).map((r) => ({ ...r, resource: { type_url: CLUSTER_TYPE, value: Buffer.from([0x12, 0xff, 0x01]) } })), [], ctx);
    expect(bad.ok).to.equal(false);
    if (!bad.ok) expect(bad.error).to.contain('malformed Cluster message');
    const wrongType = decodeDelta(CLUSTER_TYPE, asDelta(FILTER_CHAIN_TYPE, config()), [], ctx);
    if (wrongType.ok) throw new Error('accepted a FilterChain as a Cluster');
    expect(wrongType.error).to.contain('does not match');
  });

  it('merges datacenters by host and applies removals', () => {
    const { datacenter } = quilkinMessageTypes();
    const value = Buffer.from(datacenter.encode(datacenter.fromObject({ host: '', qcmp_port: 7600, icao_code: 'ABCD' })).finish());
    const current = [{ host: '10.1.1.1', qcmpPort: 1, icaoCode: 'ZZZZ' }, { host: '10.2.2.2', qcmpPort: 2, icaoCode: 'YYYY' }];
    const result = decodeDelta(DATACENTER_TYPE, [{ name: 'ABCD', version: '7600', resource: { type_url: DATACENTER_TYPE, value } }], ['10.2.2.2'], {
      ...ctx,
      currentDatacenters: current,
      datacenterHost: '127.0.0.9',
    });
    if (!result.ok) throw new Error(result.error);
    expect(result.patch.datacenters).to.deep.equal([current[0], { host: '127.0.0.9', qcmpPort: 7600, icaoCode: 'ABCD' }]);
  });
});
