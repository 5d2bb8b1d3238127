// SPDX-License-Identifier: Apache-2.0
// The exported JSON Schema and the validator come from one zod schema; these cases hold them to it.
import Ajv2020 from 'ajv/dist/2020';
import { expect } from 'chai';
import { parse } from 'yaml';
import { filterRegistry } from '../data-plane/filters/index';
import { validateConfig } from './parse';
import { configFileSchema } from './schema';

const registry = filterRegistry();
const matchesSchema = new Ajv2020({ strict: false, allErrors: true }).compile(configFileSchema(registry));

/** Documents the validator accepts: the schema must accept each. */
const ACCEPTED = [
  '',
  'version: v1alpha1\nid: 123\nicao_code: ABCD\nqcmp_port: 7600\n',
  'clusters: [{ locality: "eu:west", endpoints: [{ address: "1.1.1.1:1", metadata: { quilkin.dev: { tokens: [YQ==] }, team: blue } }] }]\n',
  'filters: [{ name: quilkin.filters.debug.v1alpha1.Debug, label: 7, config: { id: 123 } }]\n',
  'filters: [{ name: quilkin.filters.capture.v1alpha1.Capture, config: { suffix: { size: 3, remove: true } } }]\n',
  'filters: ~\nclusters: ~\nversion: ~\n',
];

/** Shape errors, which a JSON Schema can express: both must reject each. */
const REJECTED_BY_BOTH = [
  'version: v2\n',
  'port: 7777\n',
  'icao_code: abcd\n',
  'qcmp_port: 70000\n',
  'clusters: { default: { localities: [] } }\n',
  'clusters: [{ endpoints: [{ address: "1.1.1.1:1", connection_ids: [] }] }]\n',
  'clusters: [{ endpoints: [{ address: "1.1.1.1:1", metadata: { quilkin.dev: { tokens: ["not base64!"] } } }] }]\n',
  'clusters: [{ locality: "a:b:c:d", endpoints: [] }]\n',
  'filters: [{ name: quilkin.filters.nope.v1alpha1.Nope }]\n',
  'filters: [{ name: quilkin.filters.pass.v1alpha1.Pass, foo: bar }]\n',
  'filters: [{ name: quilkin.filters.capture.v1alpha1.Capture, config: { suffix: { size: -1 } } }]\n',
  'id: [a]\n',
];

describe('config file schema: validator and generate-config-schema agree', () => {
  for (const text of ACCEPTED) {
    it(`both accept ${JSON.stringify(text)}`, () => {
      const result = validateConfig(parse(text), registry);
      expect(result.ok, result.ok ? '' : JSON.stringify(result.issues)).to.equal(true);
      expect(matchesSchema(parse(text) ?? {}), JSON.stringify(matchesSchema.errors)).to.equal(true);
    });
  }
  for (const text of REJECTED_BY_BOTH) {
    it(`both reject ${JSON.stringify(text)}`, () => {
      expect(validateConfig(parse(text), registry).ok).to.equal(false);
      expect(matchesSchema(parse(text))).to.equal(false);
    });
  }
});
