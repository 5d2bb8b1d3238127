// SPDX-License-Identifier: Apache-2.0
import { create, toBinary } from '@bufbuild/protobuf';
import { expect } from 'chai';
import { parseConfigText } from '../config/parse';
import type { Config } from '../config/model';
import { filterRegistry } from '../data-plane/filters';
import { decodeDelta, resourcesOf } from './codec';
import { ResourceSchema } from './gen/envoy/service/discovery/v3/discovery_pb';
import { ClusterSchema, DatacenterSchema, FilterChainSchema } from './gen/quilkin/config/v1alpha1/config_pb';
import type { XdsResource } from './messages';
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

function resource(name: string, version: string, typeUrl: string, value: Uint8Array): XdsResource {
  return create(ResourceSchema, { name, version, resource: { typeUrl, value } });
}

function asDelta(type: ResourceType, cfg: Config): XdsResource[] {
  return [...resourcesOf(cfg, type).values()].map((r) => resource(r.name, r.version, type, r.value));
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
    const value = toBinary(
      ClusterSchema,
      create(ClusterSchema, {
        endpoints: [
          { host: '::1', port: 9 },
          { host: '10.0.0.1', port: 8 },
        ],
      }),
    );
    const result = decodeDelta(CLUSTER_TYPE, [resource('', '1', CLUSTER_TYPE, value)], [], ctx);
    if (!result.ok) throw new Error(result.error);
    expect(result.patch.clusters?.[0].endpoints.map((e) => e.address.key)).to.deep.equal(['10.0.0.1:8', '[::1]:9']);
  });

  it('rejects an unknown filter with the path and reason', () => {
    const value = toBinary(FilterChainSchema, create(FilterChainSchema, { filters: [{ name: 'quilkin.filters.nope.v1alpha1.Nope' }] }));
    const result = decodeDelta(FILTER_CHAIN_TYPE, [resource('filter_chain', '1', FILTER_CHAIN_TYPE, value)], [], ctx);
    expect(result.ok).to.equal(false);
    if (!result.ok) expect(result.error).to.contain('filters[0].name').and.contain('not found');
  });

  it('rejects bad tokens, bytes that are not a message and a mismatched Any type', () => {
    const bad = decodeDelta(
      CLUSTER_TYPE,
      asDelta(CLUSTER_TYPE, config()).map((r) => resource(r.name, r.version, CLUSTER_TYPE, Buffer.from([0x12, 0xff, 0x01]))),
      [],
      ctx,
    );
    expect(bad.ok).to.equal(false);
    if (!bad.ok) expect(bad.error).to.contain('malformed Cluster message');
    const wrongType = decodeDelta(CLUSTER_TYPE, asDelta(FILTER_CHAIN_TYPE, config()), [], ctx);
    if (wrongType.ok) throw new Error('accepted a FilterChain as a Cluster');
    expect(wrongType.error).to.contain('does not match');
  });

  it('merges datacenters by host and applies removals', () => {
    const value = toBinary(DatacenterSchema, create(DatacenterSchema, { host: '', qcmpPort: 7600, icaoCode: 'ABCD' }));
    const current = [
      { host: '10.1.1.1', qcmpPort: 1, icaoCode: 'ZZZZ' },
      { host: '10.2.2.2', qcmpPort: 2, icaoCode: 'YYYY' },
    ];
    const result = decodeDelta(DATACENTER_TYPE, [resource('ABCD', '7600', DATACENTER_TYPE, value)], ['10.2.2.2'], {
      ...ctx,
      currentDatacenters: current,
      datacenterHost: '127.0.0.9',
    });
    if (!result.ok) throw new Error(result.error);
    expect(result.patch.datacenters).to.deep.equal([current[0], { host: '127.0.0.9', qcmpPort: 7600, icaoCode: 'ABCD' }]);
  });
});
