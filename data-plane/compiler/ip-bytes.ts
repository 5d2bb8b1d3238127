// SPDX-License-Identifier: Apache-2.0
// An IP literal as the native engine's formats carry it: a family byte and 16 address bytes.
import { ipv4ToInt, ipv6Words } from '../filters/firewall/cidr';

/** family 4 (first 4 bytes used), 6, or 0 when the text is no IP literal (a DNS name). */
export function ipBytes(ip: string): { family: number; bytes: Buffer } {
  const v4 = ipv4ToInt(ip);
  const bytes = Buffer.alloc(16);
  if (v4 >= 0) {
    bytes.writeUInt32BE(v4, 0);
    return { family: 4, bytes };
  }
  const words = ipv6Words(ip);
  if (!words) return { family: 0, bytes };
  words.forEach((word, i) => bytes.writeUInt16BE(word, i * 2));
  return { family: 6, bytes };
}
