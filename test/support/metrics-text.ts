// SPDX-License-Identifier: Apache-2.0
// Reading values out of Prometheus text (what /metrics and QuilkinMetrics.render() return).

/** The value of one series, written exactly as it appears (name and labels); 0 when absent. */
export function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/**
 * The value of the first series of `name` whose labels start with `labels` (written as in the
 * text, e.g. `event="read"`); 0 when absent. Without labels, the series with no labels or any.
 */
export function labelledSample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}` : ''}`) && (labels || /[ {]/.test(l[name.length])));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
