// SPDX-License-Identifier: Apache-2.0
// Per-packet dynamic metadata: the values filters pass to each other.

/**
 * Quilkin's metadata Value. `number` stands for Quilkin's u64 Number (exact up to 2^53).
 * Bytes are Buffers; captured data is always stored as Bytes.
 */
export type MetadataValue = boolean | number | string | Buffer | MetadataValue[];

export type Metadata = Map<string, MetadataValue>;

/** The well-known key where Capture stores and TokenRouter looks by default. */
export const CAPTURE_KEY = 'quilkin.dev/capture';

/**
 * Quilkin's equality, quirks included: String equals Bytes with identical UTF-8 (either order);
 * Number(n) equals Bytes(b) only with the Number on the left and b exactly one byte equal to n.
 */
export function metadataEquals(left: MetadataValue, right: MetadataValue): boolean {
  if (Buffer.isBuffer(left)) {
    if (Buffer.isBuffer(right)) return left.equals(right);
    if (typeof right === 'string') return left.equals(Buffer.from(right, 'utf8'));
    return false;
  }
  if (typeof left === 'string') {
    if (typeof right === 'string') return left === right;
    if (Buffer.isBuffer(right)) return right.equals(Buffer.from(left, 'utf8'));
    return false;
  }
  if (typeof left === 'number') {
    if (typeof right === 'number') return left === right;
    if (Buffer.isBuffer(right)) return right.length === 1 && right[0] === left;
    return false;
  }
  if (typeof left === 'boolean') return left === right;
  if (!Array.isArray(right) || right.length !== left.length) return false;
  return left.every((v, i) => metadataEquals(v, right[i]));
}

/** Quilkin's display form: Bytes as base64, Lists as `[a,b]`. */
export function displayMetadata(value: MetadataValue): string {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return `[${value.map(displayMetadata).join(',')}]`;
  return String(value);
}

/** Converts a YAML/JSON value (as in Match branch values) to a metadata value. */
export function metadataFromJson(value: unknown): MetadataValue | undefined {
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (Array.isArray(value)) {
    const items = value.map(metadataFromJson);
    return items.every((v) => v !== undefined) ? (items as MetadataValue[]) : undefined;
  }
  return undefined;
}
