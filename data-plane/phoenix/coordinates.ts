// SPDX-License-Identifier: Apache-2.0
// Phoenix network coordinates, as Quilkin v0.9 computes them (src/net/phoenix.rs): each datacenter
// is a point (x, y) = (incoming, outgoing) one-way delay in nanoseconds; its latency estimate is the
// point's distance from the origin. Pure and deterministic; the scheduler feeds it measurements.

/** One QCMP measurement: `incoming` = server receive - client send, `outgoing` = client receive - server send. */
export interface DistanceMeasure {
  readonly incomingNs: number;
  readonly outgoingNs: number;
}

export interface Coordinates {
  readonly x: number;
  readonly y: number;
}

export function distanceFromOrigin(c: Coordinates): number {
  return Math.sqrt(c.x * c.x + c.y * c.y);
}

/** A measured datacenter: its ICAO code, coordinates once measured, and v0.9's error estimate. */
export class PhoenixNode {
  private point: Coordinates | undefined;
  /** Starts at 1 and grows by 0.1 per failed measurement (never shrinks), as in v0.9. */
  private error = 1.0;

  constructor(readonly icaoCode: string) {}

  get coordinates(): Coordinates | undefined {
    return this.point;
  }

  get errorEstimate(): number {
    return this.error;
  }

  /** The latency estimate in nanoseconds, or undefined before the first successful measurement. */
  get distance(): number | undefined {
    return this.point ? distanceFromOrigin(this.point) : undefined;
  }

  /**
   * The first sample sets the point; every later one averages the old point with the new sample
   * scaled by the error estimate (v0.9's weighting: after failures, new samples count for more
   * than their face value).
   */
  adjust(measure: DistanceMeasure): void {
    if (!this.point) {
      this.point = { x: measure.incomingNs, y: measure.outgoingNs };
      return;
    }
    const weight = this.error;
    this.point = { x: (this.point.x + measure.incomingNs * weight) / 2, y: (this.point.y + measure.outgoingNs * weight) / 2 };
  }

  recordError(): void {
    this.error += 0.1;
  }
}

/**
 * The nearest estimate per ICAO code (several hosts may share one; v0.9 reports the best), sorted
 * by increasing distance. Unmeasured nodes are left out.
 */
export function nearestByIcao(nodes: Iterable<PhoenixNode>): Array<[icao: string, distanceNs: number]> {
  const best = new Map<string, number>();
  for (const node of nodes) {
    const d = node.distance;
    if (d === undefined) continue;
    const previous = best.get(node.icaoCode);
    if (previous === undefined || d < previous) best.set(node.icaoCode, d);
  }
  return [...best.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** serde_json writes integral f64 values with a trailing `.0`; keep the same spelling. */
function formatF64(value: number): string {
  const text = JSON.stringify(value);
  return Number.isInteger(value) && !/[e.]/i.test(text) ? `${text}.0` : text;
}

/**
 * The HTTP document: `{"<ICAO>": <distance ns>, ...}`. v0.9 builds a serde_json map without
 * `preserve_order`, so keys come out in lexicographic order; readers sort by value.
 */
export function renderLatencyJson(entries: ReadonlyArray<readonly [string, number]>): string {
  const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `{${sorted.map(([icao, d]) => `${JSON.stringify(icao)}:${formatF64(d)}`).join(',')}}`;
}
