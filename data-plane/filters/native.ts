// SPDX-License-Identifier: Apache-2.0
// The native half of a filter's contract, declared by its factory next to the TS implementation:
// how its normalised config becomes the payload its native twin parses (the kind comes from
// kinds.json; payloads in native/engine/description.md).
import type { JsonValue } from '../../config/model';
import type { ByteWriter } from '../compiler/wire';

/** What an encoder may use: the chain's writer, its metadata key table, and nested filters. */
export interface EncodeContext {
  readonly w: ByteWriter;
  /** Interns a metadata key, returning its index. */
  key(name: string): number;
  /** Encodes a nested filter (kind, slot, payload), as Match does for its branches. */
  filter(name: string, config: JsonValue | undefined, path: string): void;
}

export interface NativeEncoding<C> {
  /** Writes the payload after the kind and slot; throws (the compiler adds the path) on what the engine cannot take. */
  encode(ctx: EncodeContext, config: C, path: string): void;
}
