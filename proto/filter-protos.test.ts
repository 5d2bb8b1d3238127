// SPDX-License-Identifier: Apache-2.0
// Our per-filter protos load (with envoy's imports) and keep Quilkin's field numbers.
import * as protoLoader from '@grpc/proto-loader';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { envoyIncludeDirs, protoDir } from './loader';

interface FieldDescriptor {
  name: string;
  number: number;
}

interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
}

describe('quilkin.filters.* protos', () => {
  const filtersDir = path.join(protoDir(), 'quilkin', 'filters');
  const files = fs.readdirSync(filtersDir).map((name) => path.join('quilkin', 'filters', name, 'v1alpha1', `${name}.proto`));
  const definition = protoLoader.loadSync(files, { keepCase: true, includeDirs: [protoDir(), ...envoyIncludeDirs()] });
  /** `Pkg.Message` or `Pkg.Message.Nested` (proto-loader lists only top-level messages). */
  const fields = (type: string, nested?: string): Record<string, number> => {
    let message = (definition[type] as { type?: MessageDescriptor } | undefined)?.type;
    if (message && nested) message = message.nestedType.find((n) => n.name === nested);
    if (!message) throw new Error(`${type} ${nested ?? ''} not loaded`);
    return Object.fromEntries(message.field.map((f) => [f.name, f.number]));
  };

  it('has one proto per filter folder and they all load', () => {
    expect(files.length).to.be.at.least(11);
    for (const f of files) expect(fs.existsSync(path.join(protoDir(), f)), f).to.equal(true);
  });

  it('keeps Quilkin field numbers', () => {
    expect(fields('quilkin.filters.capture.v1alpha1.Capture')).to.deep.equal({ metadata_key: 1, prefix: 2, suffix: 3, regex: 4 });
    expect(fields('quilkin.filters.capture.v1alpha1.Capture', 'Suffix')).to.deep.equal({ size: 1, remove: 2 });
    expect(fields('quilkin.filters.firewall.v1alpha1.Firewall', 'Rule')).to.deep.equal({ action: 1, source: 2, ports: 3 });
    expect(fields('quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit')).to.deep.equal({ max_packets: 1, period: 2 });
    expect(fields('quilkin.filters.matches.v1alpha1.Match', 'Config')).to.deep.equal({ metadata_key: 1, branches: 2, fallthrough: 4 });
    expect(fields('quilkin.filters.concatenate.v1alpha1.Concatenate')).to.deep.equal({ on_write: 1, on_read: 2, reference: 3, literal: 4 });
    expect(fields('quilkin.filters.token_router.v1alpha1.TokenRouter')).to.deep.equal({ metadata_key: 1 });
    expect(fields('quilkin.filters.drop.v1alpha1.Drop')).to.deep.equal({});
    expect(fields('quilkin.filters.compress.v1alpha1.Compress')).to.deep.equal({ mode: 1, on_read: 2, on_write: 3 });
    expect(fields('quilkin.filters.compress.v1alpha1.Compress', 'ActionValue')).to.deep.equal({ value: 1 });
  });
});
