// SPDX-License-Identifier: Apache-2.0
// Metadata values and the fast path's slots (struct qk_fast_meta): what a vector's starting value
// becomes in the seed, and what the traced slot says the chain left. Layouts: bpf/fast-abi.ts.
import { FAST, FAST_STRUCTS, META_TAG } from '../../../bpf/fast-abi';
import type { FastMeta } from '../../../data-plane/compiler/kernel-wire';
import type { MetadataValue } from '../../../data-plane/filters/metadata';

/** The fast path's form of a metadata value, or why it has none (numbers, lists, long values). */
export function toFastMeta(value: MetadataValue): FastMeta | string {
  let meta: FastMeta;
  if (typeof value === 'boolean') meta = { tag: META_TAG.BOOL, bytes: Buffer.from([value ? 1 : 0]) };
  else if (typeof value === 'string') meta = { tag: META_TAG.STRING, bytes: Buffer.from(value, 'utf8') };
  else if (Buffer.isBuffer(value)) meta = { tag: META_TAG.BYTES, bytes: value };
  else return `a ${Array.isArray(value) ? 'list' : typeof value} (the fast path holds bytes, strings and bools)`;
  if (meta.bytes.length > FAST.QK_FAST_VALUE_MAX) return `${meta.bytes.length} bytes long (the fast path holds at most ${FAST.QK_FAST_VALUE_MAX})`;
  return meta;
}

/** The value a traced slot holds; undefined when absent. */
export function fromFastMeta(meta: FastMeta): MetadataValue | undefined {
  switch (meta.tag) {
    case META_TAG.ABSENT:
      return undefined;
    case META_TAG.BOOL:
      return meta.bytes[0] !== 0;
    case META_TAG.STRING:
      return meta.bytes.toString('utf8');
    case META_TAG.BYTES:
      return Buffer.from(meta.bytes);
  }
  throw new Error(`metadata tag ${meta.tag} is none the fast path lowers`);
}

/** struct qk_fast_seed: slot i holds the chain's key i (undefined: absent). */
export function encodeSeed(meta: ReadonlyArray<FastMeta | undefined>): Buffer {
  const { fields } = FAST_STRUCTS.qk_fast_meta;
  const out = Buffer.alloc(FAST_STRUCTS.qk_fast_seed.size);
  for (let i = 0; i < FAST.QK_FAST_KEYS; i++) {
    const at = FAST_STRUCTS.qk_fast_seed.fields.meta.offset + i * FAST_STRUCTS.qk_fast_meta.size;
    const m = meta[i];
    out[at + fields.tag.offset] = m ? m.tag : META_TAG.ABSENT;
    out[at + fields.len.offset] = m ? m.bytes.length : 0;
    m?.bytes.copy(out, at + fields.bytes.offset);
  }
  return out;
}
