// SPDX-License-Identifier: Apache-2.0
// Every filter config case must get the same verdict and the same normalised config from every
// config source: the registry directly, a YAML config file, and an xDS FilterChain (JSON strings).
import { expect } from 'chai';
import { stringify } from 'yaml';
import { formatIssue, IssueCollector } from '../../config/issues';
import type { FilterConfig, JsonValue } from '../../config/model';
import { parseConfigText } from '../../config/parse';
import { filterRegistry } from '../../data-plane/filters/index';
import { decodeFilterChain, encodeFilterChain } from '../../proto/filter-chain-resource';
import type { RawFilterConfig } from './implementations';
import { filterVectorFiles, loadVectorFile } from './vectors';

type Verdict = { valid: true; configs: Array<JsonValue | undefined> } | { valid: false; error: string };

function viaRegistry(filters: readonly RawFilterConfig[]): Verdict {
  try {
    return { valid: true, configs: filters.map((f) => filterRegistry().validate(f.name, f.config ?? undefined)) };
  } catch (err) {
    return { valid: false, error: (err as Error).message };
  }
}

function viaYamlFile(filters: readonly RawFilterConfig[]): Verdict {
  const result = parseConfigText(stringify({ version: 'v1alpha1', filters }), filterRegistry());
  if (!result.ok) return { valid: false, error: result.issues.map(formatIssue).join('\n') };
  return { valid: true, configs: result.value.filters.map((f) => f.config) };
}

function viaXds(filters: readonly RawFilterConfig[]): Verdict {
  const encoded = encodeFilterChain(filters as unknown as FilterConfig[]);
  const issues = new IssueCollector();
  const decoded = decodeFilterChain(encoded.value, filterRegistry(), ['filter_chain'], issues);
  if (!decoded) return { valid: false, error: issues.issues.map(formatIssue).join('\n') };
  return { valid: true, configs: decoded.map((f) => f.config) };
}

describe('filter config validation is the same for every config source', () => {
  for (const file of filterVectorFiles().map((f) => loadVectorFile(f.file, f.label))) {
    for (const c of file.cases) {
      if (c.kind !== 'config') continue;
      it(`${file.label} ${c.name}`, () => {
        const direct = viaRegistry(c.filters);
        const yaml = viaYamlFile(c.filters);
        const xds = viaXds(c.filters);
        expect(direct.valid, 'registry verdict matches the vector').to.equal(c.expect.valid);
        expect(yaml.valid, `YAML file verdict: ${yaml.valid ? '' : yaml.error}`).to.equal(direct.valid);
        expect(xds.valid, `xDS verdict: ${xds.valid ? '' : xds.error}`).to.equal(direct.valid);
        if (direct.valid && yaml.valid && xds.valid) {
          expect(yaml.configs).to.deep.equal(direct.configs);
          expect(xds.configs).to.deep.equal(direct.configs);
        }
        if (!direct.valid && !yaml.valid && !xds.valid) {
          // Each source reports the registry's own message, with its path prefixed.
          expect(yaml.error).to.include(direct.error);
          expect(xds.error).to.include(direct.error);
        }
      });
    }
  }
});
