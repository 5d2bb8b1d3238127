// SPDX-License-Identifier: Apache-2.0
// quilkin.config.v1alpha1.FilterChain <-> the model's filter list. Each filter's config travels
// as JSON text (as in Quilkin) and is validated by the same filter registry files use.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { IssueCollector, PathSegment } from '../config/issues';
import type { FilterConfig, FilterConfigValidator } from '../config/model';
import { parseFilters } from '../config/parse';
import type { EncodedResource } from './cluster-resource';
import { type Filter, FilterChainSchema } from './gen/quilkin/config/v1alpha1/config_pb';
import { FILTER_CHAIN_NAME } from './type-urls';
import { digestVersion } from './version';

export function encodeFilterChain(filters: readonly FilterConfig[]): EncodedResource {
  const message = create(FilterChainSchema, {
    filters: filters.map((f) => ({
      name: f.name,
      ...(f.label !== undefined ? { label: f.label } : {}),
      ...(f.config !== undefined ? { config: JSON.stringify(f.config) } : {}),
    })),
  });
  const value = toBinary(FilterChainSchema, message);
  return { name: FILTER_CHAIN_NAME, version: digestVersion(value), value };
}

export function decodeFilterChain(value: Uint8Array, validator: FilterConfigValidator, at: PathSegment[], issues: IssueCollector): FilterConfig[] | undefined {
  let filters: Filter[];
  try {
    filters = fromBinary(FilterChainSchema, value).filters;
  } catch (err) {
    issues.add(at, `malformed FilterChain message: ${(err as Error).message}`);
    return undefined;
  }
  const before = issues.issues.length;
  const raw = filters.map((f, i) => {
    let config: unknown;
    if (f.config !== undefined) {
      try {
        config = JSON.parse(f.config);
      } catch (err) {
        issues.add([...at, 'filters', i, 'config'], `config is not valid JSON: ${(err as Error).message}`);
      }
    }
    return { name: f.name, ...(f.label !== undefined ? { label: f.label } : {}), ...(config !== undefined ? { config } : {}) };
  });
  const parsed = parseFilters(raw, validator, issues, [...at, 'filters']);
  return issues.issues.length === before ? parsed : undefined;
}
