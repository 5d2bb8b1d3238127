// SPDX-License-Identifier: Apache-2.0
// Runs test/conformance/vectors/config.yaml (whole config files) against the config parser and filter registry.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { formatIssue } from '../../config/issues';
import { type Config, localityKey } from '../../config/model';
import { parseConfigText } from '../../config/parse';
import { filterRegistry } from '../../data-plane/filters/index';
import { repoRoot } from '../support/repo';
import { VECTORS_DIR } from './vectors';

interface EndpointExpect {
  address: string;
  tokens_utf8?: string[];
  tokens_hex?: string[];
  locality?: string;
}

interface ConfigCase {
  name: string;
  file: string;
  expect: { valid: boolean; error_contains?: string; id?: string; filter_count?: number; endpoints?: EndpointExpect[] };
}

function checkEndpoints(config: Config, want: EndpointExpect[]): void {
  const got = new Map<string, { tokens: string[]; locality: string }>();
  for (const cluster of config.clusters) {
    for (const e of cluster.endpoints)
      got.set(e.address.key, { tokens: e.tokens.map((t) => t.toString('hex')).sort(), locality: localityKey(cluster.locality) });
  }
  expect([...got.keys()].sort()).to.deep.equal(want.map((e) => e.address).sort());
  for (const e of want) {
    const tokens = (e.tokens_hex ?? (e.tokens_utf8 ?? []).map((t) => Buffer.from(t, 'utf8').toString('hex'))).sort();
    expect(got.get(e.address)?.tokens, `tokens of ${e.address}`).to.deep.equal(tokens);
    if (e.locality !== undefined) expect(got.get(e.address)?.locality, `locality of ${e.address}`).to.equal(e.locality);
  }
}

const label = path.join(VECTORS_DIR, 'config.yaml');
const file = path.join(repoRoot(), label);
const cases = (parse(fs.readFileSync(file, 'utf8')) as { cases: ConfigCase[] }).cases;

describe(`conformance: ${label} (config parser + filter registry)`, () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = parseConfigText(c.file, filterRegistry());
      if (!c.expect.valid) {
        expect(result.ok, 'config must be rejected').to.equal(false);
        const text = result.ok ? '' : result.issues.map(formatIssue).join('\n');
        if (c.expect.error_contains) expect(text).to.include(c.expect.error_contains);
        return;
      }
      expect(result.ok, result.ok ? '' : result.issues.map(formatIssue).join('\n')).to.equal(true);
      if (!result.ok) return;
      if (c.expect.id !== undefined) expect(result.value.id).to.equal(c.expect.id);
      if (c.expect.filter_count !== undefined) expect(result.value.filters.length).to.equal(c.expect.filter_count);
      if (c.expect.endpoints) checkEndpoints(result.value, c.expect.endpoints);
    });
  }
});
