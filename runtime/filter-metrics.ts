// SPDX-License-Identifier: Apache-2.0
// The metric sinks filters write to (Quilkin's generic quilkin_filter_int_counter / _histogram).
// Declared here, below both, so runtime/metrics.ts implements it without depending on the data
// plane; data-plane/filters/filter.ts re-exports it for the filters.
export interface FilterMetrics {
  counter(filter: string, label: string, help: string, event: 'read' | 'write'): { inc(by?: number): void };
  histogram(filter: string, label: string, help: string, event: 'read' | 'write', sharedMetadata: string): { observe(value: number): void };
}
