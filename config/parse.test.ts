// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { filterRegistry } from '../data-plane/filters/index';
import { formatIssue } from './issues';
import { parseConfigText } from './parse';

function errors(text: string): string[] {
  const result = parseConfigText(text, filterRegistry());
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.issues.map(formatIssue);
}

describe('config file parsing', () => {
  it('parses an empty document as the empty config', () => {
    const result = parseConfigText('', filterRegistry());
    expect(result.ok && result.value.clusters).to.deep.equal([]);
  });

  it('decodes tokens, keeps user metadata and sorts endpoints by address', () => {
    const result = parseConfigText(
      `version: v1alpha1
id: proxy-7
clusters:
  - locality: eu:west
    endpoints:
      - address: 127.0.0.2:9
        metadata: { quilkin.dev: { tokens: [TWFu] }, team: { name: blue } }
      - address: 127.0.0.1:9
      - address: 127.0.0.1:9
`,
      filterRegistry(),
    );
    if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
    const [cluster] = result.value.clusters;
    expect(result.value.id).to.equal('proxy-7');
    expect(cluster.locality).to.deep.equal({ region: 'eu', zone: 'west' });
    expect(cluster.endpoints.map((e) => e.address.key)).to.deep.equal(['127.0.0.1:9', '127.0.0.2:9']);
    expect(cluster.endpoints[1].tokens.map((t) => t.toString())).to.deep.equal(['Man']);
    expect(cluster.endpoints[1].userMetadata).to.deep.equal({ team: { name: 'blue' } });
  });

  it('collects every error with its path and line instead of stopping at the first', () => {
    const found = errors(`version: v1alpha1
port: 7777
icao_code: abcd
clusters:
  - locality: "a:b:c:d"
    endpoints:
      - address: 127.0.0.1
        metadata: { quilkin.dev: { tokens: [TWFu, TWFu, "not base64!"] } }
      - { address: "10.0.0.1:1", connection_ids: [] }
filters:
  - name: quilkin.filters.nope.v1alpha1.Nope
  - name: quilkin.filters.pass.v1alpha1.Pass
    foo: bar
`);
    expect(found).to.deep.equal([
      'port: unknown field `port` (line 2, column 1)',
      'icao_code: icao_code must be exactly four characters A-Z (line 3, column 12)',
      'clusters[0].locality: locality `a:b:c:d` has more than three parts (region:zone:subzone) (line 5, column 15)',
      'clusters[0].endpoints[0].address: invalid address `127.0.0.1`: port is required (line 7, column 18)',
      'clusters[0].endpoints[0].metadata.quilkin.dev.tokens[1]: Found duplicate tokens in endpoint metadata. (line 8, column 51)',
      'clusters[0].endpoints[0].metadata.quilkin.dev.tokens[2]: `not base64!` is not valid standard base64 (line 8, column 57)',
      'clusters[0].endpoints[1].connection_ids: unknown field `connection_ids` (line 9, column 34)',
      'filters[0].name: filter `quilkin.filters.nope.v1alpha1.Nope` not found (line 11, column 11)',
      'filters[1].foo: unknown field `foo`, expected one of `name`, `label`, `config` (line 13, column 5)',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(errors('clusters: [\n')[0]).to.match(/^<root>: YAML syntax error: .* \(line \d+, column \d+\)$/);
  });

  it('rejects the old map form of clusters', () => {
    expect(errors('clusters:\n  default:\n    localities: []\n')[0]).to.include('clusters must be a list');
  });

  it('rejects two identical entries for one locality', () => {
    const entry = '  - locality: r\n    endpoints: [{ address: "1.1.1.1:1" }]\n';
    expect(errors(`clusters:\n${entry}${entry}`)).to.deep.equal(['clusters: duplicate localities found in cluster map (line 2, column 3)']);
  });

  it("rejects a version other than v1alpha1, as Quilkin's Version enum does", () => {
    expect(errors('version: v2\n')).to.deep.equal(['version: unknown variant `v2`, expected `v1alpha1` (line 1, column 10)']);
  });

  it('rejects a token whose base64 has non-zero trailing bits (`YR==`), as the STANDARD engine does', () => {
    expect(errors('clusters:\n  - endpoints:\n      - { address: "1.1.1.1:1", metadata: { quilkin.dev: { tokens: [YR==] } } }\n')).to.deep.equal([
      'clusters[0].endpoints[0].metadata.quilkin.dev.tokens[0]: `YR==` is not valid standard base64 (line 3, column 69)',
    ]);
    const ok = parseConfigText(
      'clusters:\n  - endpoints:\n      - { address: "1.1.1.1:1", metadata: { quilkin.dev: { tokens: [YQ==] } } }\n',
      filterRegistry(),
    );
    expect(ok.ok && ok.value.clusters[0].endpoints[0].tokens[0].toString()).to.equal('a');
  });

  it('reads scalars in string fields as their text, as serde_yaml does (`id: 123`)', () => {
    const result = parseConfigText(
      'id: 123\nfilters:\n  - name: quilkin.filters.debug.v1alpha1.Debug\n    label: 7\n    config: { id: 123 }\n',
      filterRegistry(),
    );
    if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
    expect(result.value.id).to.equal('123');
    expect(result.value.filters[0]).to.deep.equal({ name: 'quilkin.filters.debug.v1alpha1.Debug', label: '7', config: { id: '123' } });
    expect(errors('id: [a]\n')).to.deep.equal(['id: id must be a string (line 1, column 5)']);
  });

  it('names a typo in a Match fallthrough, and takes `on_read: null` as absent', () => {
    const match = (direction: string) => `filters:
  - name: quilkin.filters.match.v1alpha1.Match
    config:
      on_read: ${direction}
      on_write:
        metadataKey: k
        branches: []
`;
    expect(parseConfigText(match('null'), filterRegistry()).ok).to.equal(true);
    expect(errors(match('{ metadataKey: k, branches: [], fallthrough: { name: quilkin.filters.pass.v1alpha1.Pass, conifg: {} } }'))).to.deep.equal([
      'filters[0].config: on_read.fallthrough: unknown field `conifg` (line 4, column 7)',
    ]);
  });
});
