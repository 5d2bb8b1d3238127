// SPDX-License-Identifier: Apache-2.0
// Reconnect delays for xDS/mDS streams (reference runtime.md §6.5): exponential from 500 ms,
// doubling, capped at 30 s, plus 0-2 s of uniform jitter so a fleet does not reconnect in step.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly jitterMs: number;
}

export const XDS_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, jitterMs: 2_000 };

export class ReconnectBackoff {
  private attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy = XDS_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** Attempts since the last success. */
  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    const base = Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return base + Math.floor(this.random() * this.policy.jitterMs);
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** `http://host:port` -> the `host:port` gRPC dials; the URL must have a scheme and a host, as in Quilkin. */
export function grpcTarget(url: string): { target: string; secure: boolean } {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) throw new Error(`invalid management server \`${url}\`: No scheme provided`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new Error(`invalid management server \`${url}\`: ${(err as Error).message}`, { cause: err });
  }
  if (!parsed.hostname) throw new Error(`invalid management server \`${url}\`: No host provided`);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`invalid management server \`${url}\`: scheme must be http or https`);
  const secure = parsed.protocol === 'https:';
  const port = parsed.port || (secure ? '443' : '80');
  return { target: `${parsed.hostname}:${port}`, secure };
}
