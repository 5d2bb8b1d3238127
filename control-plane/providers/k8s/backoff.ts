// SPDX-License-Identifier: Apache-2.0
// Retry delays for the API server: exponential, capped, reset by the first success.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Quilkin v0.9's provider retry numbers: 250 ms doubling, at most 2 s apart. */
export const QUILKIN_PROVIDER_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 2000 };

export class Backoff {
  private attempt = 0;

  constructor(private readonly policy: BackoffPolicy) {}

  /** The delay before the next retry; each call doubles the following one up to the cap. */
  next(): number {
    const delay = Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return delay;
  }

  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
