// SPDX-License-Identifier: Apache-2.0
// Loads every Quilkin v0.9.0 doc and example config (quilkin-v0.9-configs/) through the start-up
// file reader and asserts that we accept what v0.9.0 accepts and reject what it rejects.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { readConfigFile } from '../../cli/load-config';
import { ConfigError } from '../../config/issues';
import type { Config } from '../../config/model';
import { filterRegistry } from '../../data-plane/filters/index';
import { repoRoot } from '../support/repo';

type Verdict = 'accept' | 'reject';

interface ConfigRow {
  file: string;
  source: string;
  v09: Verdict;
  evidence: string;
  ours: Verdict;
  difference?: string;
  substitute?: Record<string, string>;
  error_contains?: string;
  filter_count?: number;
  endpoint_count?: number;
}

const DIR = path.join(repoRoot(), 'test', 'conformance', 'quilkin-v0.9-configs');
const rows = (parse(fs.readFileSync(path.join(DIR, 'manifest.yaml'), 'utf8')) as { configs: ConfigRow[] }).configs;

/** The file as the reader would be given it: placeholders replaced in a private copy. */
function materialise(row: ConfigRow, tmp: string): string {
  const original = path.join(DIR, row.file);
  if (!row.substitute) return original;
  let text = fs.readFileSync(original, 'utf8');
  for (const [placeholder, value] of Object.entries(row.substitute)) {
    expect(text, `${row.file} has ${placeholder}`).to.include(placeholder);
    text = text.split(placeholder).join(value);
  }
  const copy = path.join(tmp, row.file);
  fs.writeFileSync(copy, text);
  return copy;
}

function load(file: string): { config?: Config; error?: string } {
  try {
    return { config: readConfigFile(file, filterRegistry()) };
  } catch (err) {
    if (err instanceof ConfigError) return { error: err.message };
    throw err;
  }
}

describe('Quilkin v0.9.0 doc and example configs: accept/reject as v0.9', () => {
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quilkin-v09-configs-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('the manifest lists every extracted file, and differs from v0.9 only where it says why', () => {
    const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'manifest.yaml');
    expect(new Set(rows.map((r) => r.file))).to.deep.equal(new Set(files));
    for (const row of rows) {
      if (row.ours !== row.v09) expect(row.difference, `${row.file}: ours differs from v0.9 without a reason`).to.be.a('string');
      else expect(row.difference, `${row.file}: a difference where there is none`).to.equal(undefined);
    }
  });

  for (const row of rows) {
    const title = `${row.source}${row.substitute ? ' (placeholders filled)' : ''}: v0.9 ${row.v09}s, we ${row.ours}${row.difference ? ' (deliberate difference)' : ''}`;
    it(title, () => {
      const { config, error } = load(materialise(row, tmp));
      if (row.ours === 'reject') {
        expect(error, 'must be rejected').to.be.a('string');
        if (row.error_contains) expect(error).to.include(row.error_contains);
        return;
      }
      expect(error, error).to.equal(undefined);
      if (row.filter_count !== undefined) expect(config!.filters.length, 'filters').to.equal(row.filter_count);
      if (row.endpoint_count !== undefined) {
        const endpoints = config!.clusters.reduce((n, c) => n + c.endpoints.length, 0);
        expect(endpoints, 'endpoints').to.equal(row.endpoint_count);
      }
    });
  }
});
