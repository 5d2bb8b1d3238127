// SPDX-License-Identifier: Apache-2.0
// Reading values out of Prometheus text (what /metrics and QuilkinMetrics.render() return).

/** The value of one series, written exactly as it appears (name and labels); 0 when absent. */
export function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
