// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { gameServerEndpoint, parseTokenAnnotation, ROUTED_STATES } from './gameserver';
import { asKubeObject, type KubeObject } from './kube-object';

function gs(status: unknown, annotations: Record<string, string> = {}): KubeObject {
  const obj = asKubeObject({ apiVersion: 'agones.dev/v1', kind: 'GameServer', metadata: { name: 'gs-1', namespace: 'games', annotations }, status });
  if (!obj) throw new Error('fixture has no name');
  return obj;
}

const ADDRESSES = [
  { type: 'Hostname', address: 'node-1' },
  { type: 'InternalIP', address: '10.0.0.9' },
  { type: 'InternalIP', address: 'fd00::9' },
  { type: 'ExternalIP', address: '203.0.113.9' },
];

describe('GameServer -> endpoint', () => {
  it('routes Ready and Allocated only', () => {
    expect([...ROUTED_STATES].sort()).to.deep.equal(['Allocated', 'Ready']);
    for (const state of ['Scheduled', 'RequestReady', 'Reserved', 'Shutdown', 'Unhealthy', 'Error']) {
      expect(gameServerEndpoint(gs({ state, address: '10.0.0.1', ports: [{ port: 7000 }] }), { ipKind: 'any' }).kind, state).to.equal('not-routed');
    }
    expect(gameServerEndpoint(gs(undefined), { ipKind: 'any' }).kind).to.equal('not-routed');
  });

  it('uses status.address and the first port, with the name as metadata', () => {
    const r = gameServerEndpoint(
      gs(
        {
          state: 'Ready',
          address: '10.0.0.1',
          ports: [
            { name: 'default', port: 7000 },
            { name: 'b', port: 7001 },
          ],
        },
        { 'quilkin.dev/tokens': 'YWJj,ZGVm' },
      ),
      { ipKind: 'any' },
    );
    if (r.kind !== 'endpoint') throw new Error(`unexpected ${JSON.stringify(r)}`);
    expect(r.endpoint.address.key).to.equal('10.0.0.1:7000');
    expect(r.endpoint.tokens.map((t) => t.toString())).to.deep.equal(['abc', 'def']);
    expect(r.endpoint.userMetadata).to.deep.equal({ name: 'gs-1' });
  });

  it('selects status.addresses[] by type and IP kind', () => {
    const pick = (addressType: string, ipKind: 'v4' | 'v6' | 'any'): string => {
      const r = gameServerEndpoint(gs({ state: 'Allocated', address: '10.0.0.1', addresses: ADDRESSES, ports: [{ port: 7000 }] }), { addressType, ipKind });
      return r.kind === 'endpoint' ? r.endpoint.address.key : r.kind === 'invalid' ? `invalid: ${r.reason}` : r.kind;
    };
    expect(pick('InternalIP', 'any')).to.equal('10.0.0.9:7000');
    expect(pick('InternalIP', 'v6')).to.equal('[fd00::9]:7000');
    expect(pick('ExternalIP', 'v4')).to.equal('203.0.113.9:7000');
    expect(pick('Hostname', 'any')).to.equal('node-1:7000');
    expect(pick('ExternalIP', 'v6')).to.equal('invalid: no status.addresses[] entry of type ExternalIP (ip kind v6)');
  });

  it('reports a missing address or port as invalid, with the reason', () => {
    expect(gameServerEndpoint(gs({ state: 'Ready', ports: [{ port: 7000 }] }), { ipKind: 'any' })).to.deep.equal({
      kind: 'invalid',
      reason: 'status.address is missing',
    });
    expect(gameServerEndpoint(gs({ state: 'Ready', address: '10.0.0.1', ports: [] }), { ipKind: 'any' }).kind).to.equal('invalid');
    expect(gameServerEndpoint(gs({ state: 'Ready', address: '10.0.0.1', ports: [{ port: 0 }] }), { ipKind: 'any' }).kind).to.equal('invalid');
    expect(gameServerEndpoint(gs({ state: 'Ready', address: 'not a host!', ports: [{ port: 1 }] }), { ipKind: 'any' }).kind).to.equal('invalid');
  });

  it('skips undecodable and repeated tokens with a warning each', () => {
    const { tokens, warnings } = parseTokenAnnotation('YWJj, %%%,YWJj,,ZGVm');
    expect(tokens.map((t) => t.toString())).to.deep.equal(['abc', 'def']);
    expect(warnings).to.have.length(2);
    expect(warnings[0]).to.contain('entry 1').and.contain('not valid base64');
    expect(warnings[1]).to.contain('entry 2').and.contain('repeats');
    expect(parseTokenAnnotation(undefined)).to.deep.equal({ tokens: [], warnings: [] });
  });
});
