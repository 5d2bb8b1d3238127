// SPDX-License-Identifier: Apache-2.0
// Map writes that can be taken back: one driver serves every case, so each case's entries (chain
// image, flows, seed) are undone before the next case writes its own, and no case sees another's.
import { XDP_MAP_NAMES } from '../../../bpf/abi';
import type { FastRunDriver } from './fast-run-driver';

/** Hash maps of the fast path: undone by deleting; every other map is an array (undone by zeros). */
const HASH_MAPS: ReadonlySet<string> = new Set([XDP_MAP_NAMES.fastTokens, XDP_MAP_NAMES.fastFlows]);

export class MapLedger {
  private readonly written = new Map<string, { map: string; key: Buffer; size: number }>();

  constructor(private readonly driver: FastRunDriver) {}

  write(map: string, key: Buffer, value: Buffer): void {
    this.driver.writeEntry(map, key, value);
    this.written.set(`${map}/${key.toString('hex')}`, { map, key, size: value.length });
  }

  /** Deletes or zeroes every entry written since the last undo, newest first (the control word
   * that switched the fast path on goes before the data it points at). */
  undo(): void {
    for (const { map, key, size } of [...this.written.values()].reverse()) {
      if (HASH_MAPS.has(map)) this.driver.deleteEntry(map, key);
      else this.driver.writeEntry(map, key, Buffer.alloc(size));
    }
    this.written.clear();
  }
}
