// SPDX-License-Identifier: Apache-2.0
// Moves the fast path's per-filter cells (qk_fast_cells, summed over CPUs) into
// quilkin_filter_int_counter under the series each filter declares for its native cells, so a
// Match counts the same whether its packets ran in the kernel or in the workers. Which cells a slot
// owns is the lowering's (LoweredChain.cellOf); a load zeroes them, so the counts since the last
// read are taken before each load and counting starts afresh after it.
import type { QuilkinMetrics } from '../../../runtime/metrics';
import type { SlotInfo } from '../../compiler/description';
import type { LoweredChain } from '../../compiler/lower';

interface SlotSeries {
  readonly slot: SlotInfo;
  readonly firstCell: number;
}

export class FastCellMetrics {
  private series: SlotSeries[] = [];
  private counted: number[] = [];

  constructor(private readonly metrics: QuilkinMetrics) {}

  /** After a load: the new chain's slots and cells, counted from zero. */
  follow(chain: LoweredChain | undefined, slots: readonly SlotInfo[]): void {
    const bySlot = new Map(slots.map((s) => [s.slot, s]));
    this.series = [];
    for (const [slot, firstCell] of chain?.cellOf ?? []) {
      const info = bySlot.get(slot);
      if (info?.cells?.counters?.length) this.series.push({ slot: info, firstCell });
    }
    this.counted = [];
  }

  /** Adds each counter cell's growth since the last call; reads the cells (a syscall per cell) only when a slot counts. */
  sync(read: () => readonly number[]): void {
    if (this.series.length === 0) return;
    const cells = read();
    for (const { slot, firstCell } of this.series) {
      slot.cells!.counters!.forEach(({ label, help, event }, i) => {
        const at = firstCell + i;
        const delta = (cells[at] ?? 0) - (this.counted[at] ?? 0);
        if (delta > 0) this.metrics.filterIntCounter.inc({ id: slot.name, label, help, event }, delta);
        this.counted[at] = cells[at] ?? 0;
      });
    }
  }
}
