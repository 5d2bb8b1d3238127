// SPDX-License-Identifier: Apache-2.0
// A bound on the distinct values one metric label takes from peers (node ids, control plane
// ids). Values in use keep their own series; past the cap, new ones share the overflow label,
// so a flood of random ids costs a constant number of series. A value's slot is freed when its
// last holder (stream) goes, so churn (rolling restarts with new pod names) does not exhaust it.

export const OVERFLOW_LABEL = 'other';

export class LabelBudget {
  private readonly holders = new Map<string, number>();

  /**
   * @param cap distinct values with a series of their own at once
   * @param onFreed called with a value whose last holder released it (to remove its series)
   */
  constructor(
    readonly cap: number,
    private readonly onFreed: (label: string) => void = () => undefined,
  ) {}

  /** The label to use for `value`, taking one hold on it (give it back with release). */
  acquire(value: string): string {
    const held = this.holders.get(value);
    if (held !== undefined) {
      this.holders.set(value, held + 1);
      return value;
    }
    if (this.holders.size >= this.cap || value === OVERFLOW_LABEL) return OVERFLOW_LABEL;
    this.holders.set(value, 1);
    return value;
  }

  /** Gives back one hold that acquire(value) returned `label` for. */
  release(label: string): void {
    const held = this.holders.get(label);
    if (held === undefined) return;
    if (held > 1) return void this.holders.set(label, held - 1);
    this.holders.delete(label);
    this.onFreed(label);
  }

  /** Values holding a label of their own now. */
  get size(): number {
    return this.holders.size;
  }
}
