// SPDX-License-Identifier: Apache-2.0
// Resource versions: a u64 digest of the encoded resource, in decimal, because Quilkin
// clients parse versions as u64 and NACK anything else.
import { createHash } from 'node:crypto';

export function digestVersion(...parts: Array<Uint8Array | string>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest().readBigUInt64BE(0).toString(10);
}

export function isU64Decimal(version: string): boolean {
  return /^\d{1,20}$/.test(version) && BigInt(version) < 1n << 64n;
}
