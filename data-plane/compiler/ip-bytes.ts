// SPDX-License-Identifier: Apache-2.0
// An IP literal as the native engine's formats carry it: a family byte and 16 address bytes.
import { ipv4ToInt, ipv6Words } from '../filters/firewall/cidr';

/** family 4 (first 4 bytes used), 6, or 0 when the text is no IP literal (a DNS name). */
export function ipBytes(ip: string): { family: number; bytes: Buffer } {
  const bytes = Buffer.alloc(16);
  return { family: writeIpBytes(ip, bytes), bytes };
}

/** Writes the 16 address bytes of `ip` into `into` (zeroed by the caller); returns its family. */
export function writeIpBytes(ip: string, into: Buffer): number {
  const v4 = ipv4ToInt(ip);
  if (v4 >= 0) {
    into.writeUInt32BE(v4, 0);
    return 4;
  }
  const words = ipv6Words(ip);
  if (!words) return 0;
  words.forEach((word, i) => into.writeUInt16BE(word, i * 2));
  return 6;
}
