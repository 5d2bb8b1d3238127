// SPDX-License-Identifier: Apache-2.0
// JSON Schema of the v1alpha1 config file; each filter's config schema comes from its factory.
import type { JsonValue } from './model';

export interface FilterSchemaSource {
  names(): string[];
  get(name: string): { schema: JsonValue };
}

const BASE64_TOKEN = { type: 'string', pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$', description: 'standard padded base64' };

export function configFileSchema(filters: FilterSchemaSource): { [key: string]: JsonValue } {
  const filterVariants: JsonValue[] = filters.names().map((name) => ({
    if: { properties: { name: { const: name } } },
    then: { properties: { config: filters.get(name).schema } },
  }));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://quilkin.dev/schemas/v1alpha1/quilkin.yaml.schema.json',
    title: 'Quilkin configuration file (v1alpha1)',
    type: 'object',
    additionalProperties: false,
    properties: {
      version: { type: 'string', const: 'v1alpha1' },
      id: { type: 'string', description: 'proxy identifier; default: the hostname' },
      icao_code: { type: 'string', pattern: '^[A-Z]{4}$', default: 'XXXX' },
      qcmp_port: { type: 'integer', minimum: 0, maximum: 65535 },
      datacenters: { description: 'accepted and ignored in files (only meaningful over xDS)' },
      clusters: {
        type: 'array',
        items: {
          type: 'object',
          required: ['endpoints'],
          properties: {
            locality: { type: 'string', pattern: '^[^:]+(:[^:]*){0,2}$', description: 'region[:zone[:subzone]]' },
            endpoints: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['address'],
                properties: {
                  address: { type: 'string', description: 'host:port, [ipv6]:port or udp://host:port' },
                  metadata: {
                    type: 'object',
                    properties: {
                      'quilkin.dev': { type: 'object', required: ['tokens'], properties: { tokens: { type: 'array', items: BASE64_TOKEN, uniqueItems: true } } },
                    },
                  },
                },
              },
            },
          },
        },
      },
      filters: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', enum: filters.names() },
            label: { type: 'string' },
            config: {},
          },
          allOf: filterVariants,
        },
      },
    },
  };
}
