// SPDX-License-Identifier: Apache-2.0
// Lowering: a validated chain and cluster map -> the in-kernel fast path's map data (one bank of
// bpf/lib/fast_abi.h), or the exact reason it cannot run there. Each filter's folder declares how
// it lowers (`FilterFactory.kernel`, data-plane/filters/kernel.ts); this file owns the two
// programs, the key, cell and firewall tables, the endpoint and token tables, and every limit.
import type { ClusterConfig, EndpointConfig, FilterConfig, JsonValue } from '../../config/model';
import { DIR_INDEX, type Direction, FAST, STEP } from '../../bpf/fast-abi';
import { endpointOrder } from '../cluster-map';
import { type KernelFirewallRule, type LowerContext, NotLowerable, type StepSpec } from '../filters/kernel';
import type { FilterRegistry } from '../filters/registry';
import { chainSlots, CompileError } from './description';
import { writeIpBytes } from './ip-bytes';
import {
  arrayKey,
  encodeBank,
  encodeEndpoint,
  encodeFirewallRule,
  encodeStep,
  encodeTokenKey,
  encodeTokenValue,
  endpointKey,
  type FastStep,
  firewallKey,
  stepKey,
} from './kernel-wire';

export interface MapEntry {
  readonly key: Buffer;
  readonly value: Buffer;
}

/** One bank's worth of map data. */
export interface LoweredImage {
  readonly bank: 0 | 1;
  /** qk_fast_banks */
  readonly header: MapEntry;
  /** qk_fast_steps: every pc of both directions (unused ones QK_STEP_END), so no older generation's step lingers. */
  readonly steps: readonly MapEntry[];
  /** qk_fast_eps */
  readonly endpoints: readonly MapEntry[];
  /** qk_fast_tokens (a hash map: the writer deletes this bank's keys that are not here). Empty when no step routes by token. */
  readonly tokens: readonly MapEntry[];
  /** qk_fast_fw */
  readonly firewall: readonly MapEntry[];
}

export interface LoweredChain {
  image(bank: 0 | 1): LoweredImage;
  /** Metadata key names by index. */
  readonly keys: readonly string[];
  /** Endpoint keys ('ip:port', '[ip6]:port') by index, in the native description's order. */
  readonly endpointKeys: readonly string[];
  /** Cells used. */
  readonly cells: number;
  /** Slot (engine numbering) -> its first cell in qk_fast_cells, for the slots that have cells. */
  readonly cellOf: ReadonlyMap<number, number>;
  /** One line for logs and /config, e.g. "read: Capture(suffix 3, remove) > TokenRouter; write: (empty)". */
  readonly summary: string;
  /** Each direction's program in pc order (slots filled in): what `image` encodes. */
  readonly programs: Readonly<Record<Direction, readonly FastStep[]>>;
}

export type Lowering = { readonly lowerable: true; readonly chain: LoweredChain } | { readonly lowerable: false; readonly reason: string };

/** A whole-chain refusal whose message is final (the path is already in it). */
class Refused extends Error {}

/** Step kinds whose kernel code reads the payload windows (st->head, st->tail). */
const PAYLOAD_READERS: ReadonlySet<number> = new Set([STEP.CAPTURE]);

const shortName = (name: string): string => name.slice(name.lastIndexOf('.') + 1);

/** Builds both programs and the tables they point into. */
class Lowerer {
  readonly keys: string[] = [];
  readonly rules: KernelFirewallRule[] = [];
  readonly programs: Record<Direction, FastStep[]> = { read: [], write: [] };
  cellsUsed = 0;
  /** A TokenRouter step exists: the token table is needed. */
  routes = false;
  /** Directions with a step that reads the payload windows: only they get the payload copied. */
  readonly readsPayload: Record<Direction, boolean> = { read: false, write: false };
  private readonly keyIndex = new Map<string, number>();
  readonly slotCells = new Map<number, number>();
  private readonly slots: ReadonlyMap<string, number>;
  /** What the program so far may have done (reset per direction, forked by `alternatives`). */
  private readonly flow = { concatenated: false };

  constructor(
    private readonly registry: FilterRegistry,
    filters: readonly FilterConfig[],
  ) {
    this.slots = new Map(chainSlots(filters, registry).map((s) => [s.path, s.slot]));
  }

  /** The direction's program in execution order: read first to last, write last to first. Returns its summary. */
  direction(dir: Direction, filters: readonly FilterConfig[]): string {
    this.flow.concatenated = false;
    const order = filters.map((f, i) => ({ f, path: `filters[${i}]` }));
    if (dir === 'write') order.reverse();
    const parts = order.map(({ f, path }) => this.filter(dir, f.name, f.config, path)).filter((s) => s !== '');
    return `${dir}: ${parts.length ? parts.join(' > ') : '(empty)'}`;
  }

  private filter(dir: Direction, name: string, rawConfig: JsonValue | undefined, path: string): string {
    const refuse = (reason: string): Refused => new Refused(`${path} (${name}): not lowerable: ${reason}`);
    const kernel = this.registry.find(name)?.kernel;
    if (!kernel) throw refuse('it has no in-kernel implementation');
    const slot = this.slots.get(path);
    if (slot === undefined) throw refuse('it has no slot in the native description');
    // As the description does: only an absent config still needs the validator's defaults.
    const config = rawConfig === undefined || rawConfig === null ? this.registry.validate(name, undefined) : rawConfig;
    const program = this.programs[dir];
    const start = program.length;
    let detail = '';
    const ctx = this.context(dir, slot, (d) => (detail = d));
    try {
      kernel.lower(ctx, config, path);
    } catch (err) {
      if (err instanceof Refused) throw err;
      if (err instanceof NotLowerable) throw refuse(err.message);
      throw refuse(`lowering failed: ${(err as Error).message}`);
    }
    if (program.length === start) return '';
    return detail ? `${shortName(name)}(${detail})` : shortName(name);
  }

  private context(dir: Direction, slot: number, describe: (detail: string) => void): LowerContext {
    const program = this.programs[dir];
    const flow = this.flow;
    return {
      direction: dir,
      key: (name) => this.key(name),
      emit: (step) => this.emit(program, dir, slot, step),
      get pc() {
        return program.length;
      },
      patch(pc, next) {
        if (pc < 0 || pc >= program.length) throw new RangeError(`patch of pc ${pc}: the ${dir} program has ${program.length} steps`);
        program[pc] = { ...program[pc], next };
      },
      cells: (n) => this.cells(slot, n),
      rules: (rules) => this.addRules(rules),
      filter: (name, config, path) => this.filter(dir, name, config, path),
      alternatives: (bodies) => this.alternatives(bodies),
      get concatenated() {
        return flow.concatenated;
      },
      describe,
    };
  }

  private key(name: string): number {
    let index = this.keyIndex.get(name);
    if (index === undefined) {
      if (this.keys.length >= FAST.QK_FAST_KEYS) {
        throw new NotLowerable(`more than ${FAST.QK_FAST_KEYS} metadata keys in the chain (${[...this.keys, name].join(', ')})`);
      }
      index = this.keys.length;
      this.keys.push(name);
      this.keyIndex.set(name, index);
    }
    return index;
  }

  private emit(program: FastStep[], dir: Direction, slot: number, step: StepSpec): number {
    if (program.length >= FAST.QK_FAST_STEPS) throw new NotLowerable(`more than ${FAST.QK_FAST_STEPS} steps in the ${dir} program`);
    if (step.kind === STEP.CONCATENATE) this.flow.concatenated = true;
    if (step.kind === STEP.TOKEN_ROUTER) this.routes = true;
    if (PAYLOAD_READERS.has(step.kind)) this.readsPayload[dir] = true;
    program.push({ ...step, slot });
    return program.length - 1;
  }

  private cells(slot: number, n: number): number {
    const allocated = this.slotCells.get(slot);
    if (allocated !== undefined) return allocated;
    if (this.cellsUsed + n > FAST.QK_FAST_CELLS) throw new NotLowerable(`more than ${FAST.QK_FAST_CELLS} cells in the chain`);
    this.slotCells.set(slot, this.cellsUsed);
    this.cellsUsed += n;
    return this.cellsUsed - n;
  }

  private addRules(rules: readonly KernelFirewallRule[]): number {
    if (this.rules.length + rules.length > FAST.QK_FAST_FW_RULES) {
      throw new NotLowerable(`more than ${FAST.QK_FAST_FW_RULES} firewall rules in all Firewall filters together`);
    }
    this.rules.push(...rules);
    return this.rules.length - rules.length;
  }

  /** Each body starts from the state before the first; afterwards, the state any of them left. */
  private alternatives(bodies: readonly (() => void)[]): void {
    const before = this.flow.concatenated;
    let after = before;
    for (const body of bodies) {
      this.flow.concatenated = before;
      body();
      after ||= this.flow.concatenated;
    }
    this.flow.concatenated = after;
  }
}

interface TokenHolders {
  readonly token: Buffer;
  readonly holders: number[];
}

/** Holders ascending by endpoint index (the table is walked in index order). */
function tokenTable(endpoints: readonly EndpointConfig[]): TokenHolders[] {
  const byToken = new Map<string, TokenHolders>();
  endpoints.forEach((e, index) => {
    for (const token of e.tokens) {
      if (token.length === 0) throw new Refused(`endpoint ${e.address.key}: an empty token, which the kernel's token table cannot hold`);
      if (token.length > FAST.QK_FAST_VALUE_MAX) {
        throw new Refused(`endpoint ${e.address.key}: a ${token.length}-byte token, more than the ${FAST.QK_FAST_VALUE_MAX} bytes the kernel matches`);
      }
      const hex = token.toString('hex');
      const entry = byToken.get(hex);
      if (entry) entry.holders.push(index);
      else byToken.set(hex, { token, holders: [index] });
    }
  });
  if (byToken.size > FAST.QK_FAST_TOKENS) throw new Refused(`${byToken.size} distinct tokens, more than the ${FAST.QK_FAST_TOKENS} a bank holds`);
  return [...byToken.values()];
}

function endpointEntry(e: EndpointConfig): Buffer {
  const addr = Buffer.alloc(16);
  // A host name with no answer yet is family 0: the program drops a send to it as `no route`.
  const family = e.address.kind === 'dns' ? 0 : writeIpBytes(e.address.host, addr);
  return encodeEndpoint({ family, port: e.address.port, addr });
}

function bankFlags(lowerer: Lowerer): number {
  let flags = 0;
  for (const dir of ['read', 'write'] as const) if (lowerer.readsPayload[dir]) flags |= FAST.QK_FAST_BANK_F_PAYLOAD << DIR_INDEX[dir];
  return flags;
}

function imageOf(bank: 0 | 1, lowerer: Lowerer, endpoints: readonly EndpointConfig[], tokens: readonly TokenHolders[]): LoweredImage {
  const steps: MapEntry[] = [];
  for (const dir of ['read', 'write'] as const) {
    for (let pc = 0; pc < FAST.QK_FAST_STEPS; pc++) {
      steps.push({ key: stepKey(bank, DIR_INDEX[dir], pc), value: encodeStep(lowerer.programs[dir][pc] ?? { kind: STEP.END }) });
    }
  }
  return {
    bank,
    header: { key: arrayKey(bank), value: encodeBank(endpoints.length, bankFlags(lowerer)) },
    steps,
    endpoints: endpoints.map((e, i) => ({ key: endpointKey(bank, i), value: endpointEntry(e) })),
    tokens: tokens.map((t) => ({ key: encodeTokenKey(bank, t.token), value: encodeTokenValue(t.holders) })),
    firewall: lowerer.rules.map((r, i) => ({ key: firewallKey(bank, i), value: encodeFirewallRule(r) })),
  };
}

function lowered(filters: readonly FilterConfig[], clusters: readonly ClusterConfig[], registry: FilterRegistry): LoweredChain {
  const lowerer = new Lowerer(registry, filters);
  const summary = `${lowerer.direction('read', filters)}; ${lowerer.direction('write', filters)}`;
  const endpoints = endpointOrder(clusters);
  if (endpoints.length > FAST.QK_FAST_ENDPOINTS) {
    throw new Refused(`${endpoints.length} endpoints, more than the ${FAST.QK_FAST_ENDPOINTS} a bank holds`);
  }
  const tokens = lowerer.routes ? tokenTable(endpoints) : [];
  const images: Partial<Record<0 | 1, LoweredImage>> = {};
  return {
    image: (bank) => (images[bank] ??= imageOf(bank, lowerer, endpoints, tokens)),
    keys: lowerer.keys,
    endpointKeys: endpoints.map((e) => e.address.key),
    cells: lowerer.cellsUsed,
    cellOf: lowerer.slotCells,
    summary,
    programs: lowerer.programs,
  };
}

/** The chain as fast-path map data, or why it stays in user space (naming the filter path and option). */
export function lowerChain(filters: readonly FilterConfig[], clusters: readonly ClusterConfig[], registry: FilterRegistry): Lowering {
  try {
    return { lowerable: true, chain: lowered(filters, clusters, registry) };
  } catch (err) {
    if (err instanceof Refused || err instanceof CompileError) return { lowerable: false, reason: err.message };
    throw err;
  }
}
