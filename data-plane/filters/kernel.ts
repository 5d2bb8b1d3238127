// SPDX-License-Identifier: Apache-2.0
// The in-kernel half of a filter's contract (DESIGN tier 2), declared by its factory next to
// `native`: how one direction of its normalised config becomes steps of the fast path's program
// (bpf/lib/fast_abi.h), or why it cannot. The compiler (data-plane/compiler/lower.ts) owns the
// program, the tables and the limits; a filter only says what it needs through LowerContext.
import type { JsonValue } from '../../config/model';
import type { Direction, StepKind } from '../../bpf/fast-abi';

export type { Direction } from '../../bpf/fast-abi';

/** One step to emit; the context fills in the filter's slot, absent numbers are zero. */
export interface StepSpec {
  readonly kind: StepKind;
  readonly op?: number;
  readonly flags?: number;
  readonly key?: number;
  readonly key2?: number;
  readonly next?: number;
  readonly count?: number;
  readonly arg?: number;
  /** At most QK_FAST_VALUE_MAX bytes. */
  readonly value?: Buffer;
}

/** A Firewall rule as the kernel takes it (struct qk_fast_fw_rule). */
export interface KernelFirewallRule {
  readonly allow: boolean;
  readonly sources: readonly { readonly family: 4 | 6; readonly prefix: number; readonly ip: Buffer }[];
  /** Half-open [min, end). */
  readonly ports: readonly { readonly min: number; readonly end: number }[];
}

/** What a filter's `lower` may use while the compiler builds one direction's program. */
export interface LowerContext {
  readonly direction: Direction;
  /** Interns a metadata key, returning its index (throws NotLowerable past QK_FAST_KEYS keys). */
  key(name: string): number;
  /** Appends a step; returns its pc. */
  emit(step: StepSpec): number;
  /** The pc the next emitted step gets. */
  readonly pc: number;
  /** Sets the `next` of an emitted step (a jump target known only later). */
  patch(pc: number, next: number): void;
  /** The first of this slot's `n` cells; the same cells in both directions. */
  cells(n: number): number;
  /** Adds rules to the bank's firewall table; returns the index of the first. */
  rules(rules: readonly KernelFirewallRule[]): number;
  /** Lowers a nested filter (a Match branch) in this direction; returns its summary ('' when it emitted nothing). */
  filter(name: string, config: JsonValue | undefined, path: string): string;
  /**
   * Lowers mutually exclusive bodies (a Match's branches and fallthrough): each starts from what
   * could have run before the first, and afterwards the program is as if any of them ran.
   */
  alternatives(bodies: readonly (() => void)[]): void;
  /** A Concatenate step can have run before this point of this direction's program. */
  readonly concatenated: boolean;
  /** Detail for the one-line summary, shown as `Name(detail)`. */
  describe(detail: string): void;
}

export interface KernelLowering<C> {
  /** Emits this direction's steps (none when the filter passes it unchanged), or throws NotLowerable. */
  lower(ctx: LowerContext, config: C, path: string): void;
}

/** Why a filter (or one of its options) cannot run in the kernel; the compiler adds the filter's path. */
export class NotLowerable extends Error {
  override name = 'NotLowerable';

  /** `option`: where in the config, e.g. `regex` or `on_read.branches[1].value`. */
  constructor(
    reason: string,
    readonly option?: string,
  ) {
    super(option ? `${option}: ${reason}` : reason);
  }
}

/** For filters that never lower: every direction throws `reason`. */
export function neverLowered<C>(reason: string): KernelLowering<C> {
  return {
    lower() {
      throw new NotLowerable(reason);
    },
  };
}
