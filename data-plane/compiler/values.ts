// SPDX-License-Identifier: Apache-2.0
// Metadata values in the engine's binary form: u8 tag (0 Bool, 1 Number, 2 String, 3 Bytes, 4 List).
import type { MetadataValue } from '../filters/metadata';
import type { ByteReader, ByteWriter } from './wire';

export const enum ValueTag {
  Bool = 0,
  Number = 1,
  String = 2,
  Bytes = 3,
  List = 4,
}

export function writeValue(w: ByteWriter, value: MetadataValue): void {
  if (typeof value === 'boolean') w.u8(ValueTag.Bool).u8(value ? 1 : 0);
  else if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`metadata number ${value} is not an unsigned integer`);
    w.u8(ValueTag.Number).u64(value);
  } else if (typeof value === 'string') w.u8(ValueTag.String).bytes32(Buffer.from(value, 'utf8'));
  else if (Buffer.isBuffer(value)) w.u8(ValueTag.Bytes).bytes32(value);
  else {
    w.u8(ValueTag.List).u32(value.length);
    for (const item of value) writeValue(w, item);
  }
}

export function readValue(r: ByteReader): MetadataValue {
  const tag = r.u8('value tag');
  switch (tag) {
    case ValueTag.Bool:
      return r.u8('bool') !== 0;
    case ValueTag.Number:
      return Number(r.u64('number'));
    case ValueTag.String:
      return r.bytes32('string').toString('utf8');
    case ValueTag.Bytes:
      return r.bytes32('bytes');
    case ValueTag.List: {
      const n = r.u32('list length');
      const items: MetadataValue[] = [];
      for (let i = 0; i < n; i++) items.push(readValue(r));
      return items;
    }
    default:
      throw new RangeError(`unknown value tag ${tag}`);
  }
}
