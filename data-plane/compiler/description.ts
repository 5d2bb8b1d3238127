// SPDX-License-Identifier: Apache-2.0
// The compiler: a validated Config -> the native engine's compact, versioned chain description
// (format: native/engine/description.md) plus the slot table the control side needs to label
// Debug events and per-filter engine cells. Each filter's factory encodes its own payload
// (`FilterFactory.native`); its kind comes from the generated table (data-plane/filters/kinds.json).
import type { EndpointConfig, JsonValue } from '../../config/model';
import { endpointOrder } from '../cluster-map';
import type { ClusterConfig, FilterConfig } from '../../config/model';
import { FILTER_KINDS } from '../filters/kinds';
import type { DebugEvents, EncodeContext, EngineCells } from '../filters/native';
import type { FilterRegistry } from '../filters/registry';
import { writeIpBytes } from './ip-bytes';
import { ByteWriter } from './wire';

export const DESCRIPTION_MAGIC = 0x48434b51; // "QKCH"
export const DESCRIPTION_VERSION = 1;

/** One filter instance, nested ones included, numbered depth-first as the engine numbers them. */
export interface SlotInfo {
  readonly slot: number;
  readonly name: string;
  /** Where it sits in the config, e.g. `filters[1].on_read.branches[0]`. */
  readonly path: string;
  readonly label?: string;
  /** The normalised config the slot was built from. */
  readonly config?: JsonValue;
  /** The metric series of the cells the slot's native filter writes, if it keeps any. */
  readonly cells?: EngineCells;
  /** Present when the slot's native filter queues Debug events. */
  readonly debugEvents?: DebugEvents;
}

export interface CompiledChain {
  /** Pass to the engine (`engine.Engine#publish`, `engine.TestChain`). */
  readonly description: Buffer;
  readonly slots: readonly SlotInfo[];
  /** Metadata keys in engine index order. */
  readonly keys: readonly string[];
  /** Endpoint addresses in engine index order (destination indices point here). */
  readonly endpoints: readonly string[];
  /** Where each slot's entry starts in `description`, by slot (nested slots lie inside their parent's). */
  readonly slotOffsets: readonly number[];
}

/**
 * The slot whose entry holds a description offset (the innermost one), so an engine error
 * ("... at offset N") can name the filter's path in the config.
 */
export function slotAtOffset(chain: CompiledChain, offset: number): SlotInfo | undefined {
  let found: SlotInfo | undefined;
  chain.slotOffsets.forEach((start, slot) => {
    if (start <= offset) found = chain.slots[slot];
  });
  return found;
}

export class CompileError extends Error {
  override name = 'CompileError';
}

function writeEndpoint(w: ByteWriter, e: EndpointConfig): void {
  const familyAt = w.zeros(17);
  if (e.address.kind !== 'dns') w.view(familyAt, 1)[0] = writeIpBytes(e.address.host, w.view(familyAt + 1, 16));
  w.u16(e.address.port).str16(e.address.host);
  w.u16(e.tokens.length);
  for (const token of e.tokens) w.bytes32(token);
}

class ChainEncoder {
  readonly w = new ByteWriter();
  readonly keys: string[] = [];
  readonly slots: SlotInfo[] = [];
  /** Each slot's start within the chain body. */
  readonly starts: number[] = [];
  private readonly keyIndex = new Map<string, number>();

  constructor(private readonly registry: FilterRegistry) {}

  key = (name: string): number => {
    let index = this.keyIndex.get(name);
    if (index === undefined) {
      index = this.keys.length;
      if (index > 0xffff) throw new CompileError('more than 65536 metadata keys');
      this.keys.push(name);
      this.keyIndex.set(name, index);
    }
    return index;
  };

  filter = (name: string, rawConfig: JsonValue | undefined, path: string, label?: string): void => {
    const kind = FILTER_KINDS.get(name);
    const native = this.registry.find(name)?.native;
    if (kind === undefined || !native) throw new CompileError(`${path}: filter \`${name}\` has no native implementation`);
    // Configs arrive validated and normalised by this factory (nested Match configs too); only an
    // absent config still needs its defaults (TokenRouter's key, ...), which the validator supplies.
    const config = rawConfig === undefined || rawConfig === null ? this.registry.validate(name, undefined) : rawConfig;
    const slot = this.slots.length;
    const ctx: EncodeContext = { w: this.w, key: this.key, filter: (n, c, p) => this.filter(n, c, p) };
    try {
      const cells = native.cells?.(config);
      const debugEvents = native.debugEvents?.(config);
      this.slots.push({
        slot,
        name,
        path,
        ...(label !== undefined ? { label } : {}),
        ...(config !== undefined ? { config } : {}),
        ...(cells ? { cells } : {}),
        ...(debugEvents ? { debugEvents } : {}),
      });
      this.starts.push(this.w.length);
      this.w.u8(kind).u32(slot);
      native.encode(ctx, config, path);
    } catch (err) {
      if (err instanceof CompileError) throw err;
      throw new CompileError(`${path} (${name}): ${(err as Error).message}`);
    }
  };
}

function encodeFilters(filters: readonly FilterConfig[], registry: FilterRegistry): ChainEncoder {
  const chain = new ChainEncoder(registry);
  filters.forEach((f, i) => chain.filter(f.name, f.config, `filters[${i}]`, f.label));
  return chain;
}

/** The slot table alone (no endpoints encoded): the numbering other tiers label their cells with. */
export function chainSlots(filters: readonly FilterConfig[], registry: FilterRegistry): readonly SlotInfo[] {
  return encodeFilters(filters, registry).slots;
}

/** Compiles the filter chain and the cluster map. Throws CompileError naming the filter path. */
export function compileChain(filters: readonly FilterConfig[], clusters: readonly ClusterConfig[], registry: FilterRegistry): CompiledChain {
  const chain = encodeFilters(filters, registry);
  const endpoints = endpointOrder(clusters);
  const out = new ByteWriter();
  out.u32(DESCRIPTION_MAGIC).u16(DESCRIPTION_VERSION).u16(0);
  out.u32(endpoints.length);
  for (const e of endpoints) writeEndpoint(out, e);
  out.u16(chain.keys.length);
  for (const k of chain.keys) out.str16(k);
  const body = chain.w.finish();
  out
    .u32(4 + 2 + body.length)
    .u32(chain.slots.length)
    .u16(filters.length);
  const bodyStart = out.length;
  out.raw(body);
  return {
    description: out.finish(),
    slots: chain.slots,
    keys: chain.keys,
    endpoints: endpoints.map((e) => e.address.key),
    slotOffsets: chain.starts.map((start) => bodyStart + start),
  };
}
