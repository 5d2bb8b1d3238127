// SPDX-License-Identifier: Apache-2.0
// Every per-filter proto has generated code (with envoy's imports resolved) that keeps
// Quilkin's field numbers.
import { createRegistry, type DescFile } from '@bufbuild/protobuf';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../test/support/repo';

describe('quilkin.filters.* protos', () => {
  const names = fs.readdirSync(path.join(repoRoot(), 'proto', 'quilkin', 'filters')).sort();
  /** The generated module's file descriptor (`file_quilkin_filters_<name>_v1alpha1_<name>`). */
  const generated = (name: string): DescFile => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- one generated module per filter name
    const mod = require(`./gen/quilkin/filters/${name}/v1alpha1/${name}_pb`) as Record<string, DescFile | undefined>;
    const file = mod[`file_quilkin_filters_${name}_v1alpha1_${name}`];
    if (!file) throw new Error(`no file descriptor exported for ${name}`);
    return file;
  };
  const registry = createRegistry(...names.map(generated));
  const fields = (typeName: string): Record<string, number> => {
    const message = registry.getMessage(typeName);
    if (!message) throw new Error(`${typeName} not generated`);
    return Object.fromEntries(message.fields.map((f) => [f.name, f.number]));
  };

  it('has one proto per filter folder and generated code for each', () => {
    expect(names.length).to.be.at.least(11);
    for (const name of names) {
      expect(fs.existsSync(path.join(repoRoot(), 'proto', 'quilkin', 'filters', name, 'v1alpha1', `${name}.proto`)), name).to.equal(true);
      expect(generated(name).name).to.equal(`quilkin/filters/${name}/v1alpha1/${name}`);
    }
  });

  it('keeps Quilkin field numbers', () => {
    expect(fields('quilkin.filters.capture.v1alpha1.Capture')).to.deep.equal({ metadata_key: 1, prefix: 2, suffix: 3, regex: 4 });
    expect(fields('quilkin.filters.capture.v1alpha1.Capture.Suffix')).to.deep.equal({ size: 1, remove: 2 });
    expect(fields('quilkin.filters.firewall.v1alpha1.Firewall.Rule')).to.deep.equal({ action: 1, source: 2, ports: 3 });
    expect(fields('quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit')).to.deep.equal({ max_packets: 1, period: 2 });
    expect(fields('quilkin.filters.matches.v1alpha1.Match.Config')).to.deep.equal({ metadata_key: 1, branches: 2, fallthrough: 4 });
    expect(fields('quilkin.filters.concatenate.v1alpha1.Concatenate')).to.deep.equal({ on_write: 1, on_read: 2, reference: 3, literal: 4 });
    expect(fields('quilkin.filters.token_router.v1alpha1.TokenRouter')).to.deep.equal({ metadata_key: 1 });
    expect(fields('quilkin.filters.drop.v1alpha1.Drop')).to.deep.equal({});
    expect(fields('quilkin.filters.compress.v1alpha1.Compress')).to.deep.equal({ mode: 1, on_read: 2, on_write: 3 });
    expect(fields('quilkin.filters.compress.v1alpha1.Compress.ActionValue')).to.deep.equal({ value: 1 });
  });
});
