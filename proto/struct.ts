// SPDX-License-Identifier: Apache-2.0
// google.protobuf.Struct <-> JSON. protobufjs has no wrapper for Struct, and endpoint metadata
// (tokens and user keys) travels as one. protobufjs bundles struct.proto pre-parsed with
// camelCase field names, whatever keepCase says, so Value's fields are camelCase here.
import type { JsonValue } from '../config/model';

/** google.protobuf.Value in protobufjs object form (enums as strings). */
export interface ProtoValue {
  nullValue?: string | number | null;
  numberValue?: number | null;
  stringValue?: string | null;
  boolValue?: boolean | null;
  structValue?: ProtoStruct | null;
  listValue?: { values?: ProtoValue[] | null } | null;
  kind?: string;
}

export interface ProtoStruct {
  fields?: Record<string, ProtoValue> | null;
}

export function jsonToValue(value: JsonValue): ProtoValue {
  if (value === null) return { nullValue: 0 };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(jsonToValue) } };
  return { structValue: jsonToStruct(value) };
}

/** Keys are written sorted so equal metadata always encodes to equal bytes (versions are hashes). */
export function jsonToStruct(object: { [key: string]: JsonValue }): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  for (const key of Object.keys(object).sort()) fields[key] = jsonToValue(object[key]);
  return { fields };
}

export function valueToJson(value: ProtoValue): JsonValue {
  const kind = value.kind;
  if (kind === 'numberValue' || (kind === undefined && typeof value.numberValue === 'number')) return value.numberValue ?? 0;
  if (kind === 'stringValue' || (kind === undefined && typeof value.stringValue === 'string')) return value.stringValue ?? '';
  if (kind === 'boolValue' || (kind === undefined && typeof value.boolValue === 'boolean')) return value.boolValue ?? false;
  if (kind === 'structValue' || (kind === undefined && value.structValue)) return structToJson(value.structValue ?? {});
  if (kind === 'listValue' || (kind === undefined && value.listValue)) return (value.listValue?.values ?? []).map(valueToJson);
  return null;
}

export function structToJson(struct: ProtoStruct): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [key, value] of Object.entries(struct.fields ?? {})) out[key] = valueToJson(value);
  return out;
}
