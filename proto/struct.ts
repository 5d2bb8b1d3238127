// SPDX-License-Identifier: Apache-2.0
// Endpoint metadata travels as a google.protobuf.Struct, which protobuf-es exposes as a JSON
// object and encodes in key insertion order: sorting the keys at every level makes equal
// metadata encode to equal bytes (resource versions are hashes of those bytes).
import type { JsonValue } from '../config/model';

export function sortedJson(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortedJson);
  if (value === null || typeof value !== 'object') return value;
  return sortedJsonObject(value);
}

/** Object.fromEntries defines own properties, so a `__proto__` key stays a plain key. */
export function sortedJsonObject(object: { [key: string]: JsonValue }): { [key: string]: JsonValue } {
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, sortedJson(object[key])]),
  );
}
