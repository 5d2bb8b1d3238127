// SPDX-License-Identifier: Apache-2.0
// LocalRateLimit: at most `max_packets` reads per source ip:port per window of `period` seconds.
import { z } from 'zod';
import type { Filter, FilterFactory, FilterServices } from '../filter';
import { neverLowered } from '../kernel';
import { jsonSchemaOf, parseWith, requireConfig } from '../config-schema';

export const LOCAL_RATE_LIMIT_NAME = 'quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit';
export const RATE_LIMITED = 'filter::rate_limit::dropped';

// ---- config -------------------------------------------------------------------------------
const configSchema = z.object({
  max_packets: z.number({ error: 'must be an unsigned integer' }).int('must be an unsigned integer').min(0, 'must be an unsigned integer'),
  // Required in YAML (Quilkin's doc comment says it defaults to 1; its parser requires it).
  period: z
    .number({ error: 'must be an unsigned integer number of seconds' })
    .int('must be an unsigned integer number of seconds')
    .max(0xffffffff, 'must fit in 32 bits')
    .refine((p) => p >= 1, { message: 'field `period` is invalid, reason: value must be at least 1 second' }),
});

export type LocalRateLimitConfig = z.output<typeof configSchema>;

// ---- behaviour ----------------------------------------------------------------------------
/** Buckets idle this long are forgotten, as Quilkin's TTL map does. */
export const BUCKET_TTL_MS = 60_000;

interface Bucket {
  count: number;
  /** Whole Unix seconds when the current window began. */
  windowStart: number;
  lastUsedMs: number;
}

/**
 * Per-source fixed windows. Buckets live in a two-level map (ip -> port -> bucket) so the hot path
 * never builds a string key. Expired buckets are swept lazily on reads, at most once per TTL.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Map<number, Bucket>>();
  private lastSweepMs: number;

  constructor(
    readonly config: LocalRateLimitConfig,
    private readonly now: () => number,
  ) {
    this.lastSweepMs = now();
  }

  /** True if the packet may pass. */
  admit(ip: string, port: number): boolean {
    const { max_packets: max, period } = this.config;
    if (max === 0) return false;
    const nowMs = this.now();
    if (nowMs - this.lastSweepMs >= BUCKET_TTL_MS) this.sweep(nowMs);
    const nowSecs = Math.floor(nowMs / 1000);
    let ports = this.buckets.get(ip);
    if (!ports) this.buckets.set(ip, (ports = new Map()));
    const bucket = ports.get(port);
    if (!bucket || nowMs - bucket.lastUsedMs >= BUCKET_TTL_MS) {
      ports.set(port, { count: 1, windowStart: nowSecs, lastUsedMs: nowMs });
      return true;
    }
    bucket.lastUsedMs = nowMs;
    // The count grows even for packets that end up dropped, as upstream.
    const previous = bucket.count++;
    if (nowSecs - bucket.windowStart > period) {
      bucket.count = 1;
      bucket.windowStart = nowSecs;
      return true;
    }
    return previous < max;
  }

  get size(): number {
    let n = 0;
    for (const ports of this.buckets.values()) n += ports.size;
    return n;
  }

  private sweep(nowMs: number): void {
    this.lastSweepMs = nowMs;
    for (const [ip, ports] of this.buckets) {
      for (const [port, bucket] of ports) if (nowMs - bucket.lastUsedMs >= BUCKET_TTL_MS) ports.delete(port);
      if (ports.size === 0) this.buckets.delete(ip);
    }
  }
}

export function createLocalRateLimit(config: LocalRateLimitConfig, services: FilterServices): Filter {
  const limiter = new RateLimiter(config, services.now);
  return {
    read: (ctx) => (limiter.admit(ctx.source.ip, ctx.source.port) ? undefined : RATE_LIMITED),
  };
}

export const localRateLimitFactory: FilterFactory<LocalRateLimitConfig> = {
  name: LOCAL_RATE_LIMIT_NAME,
  schema: jsonSchemaOf(configSchema),
  validate: (raw) => parseWith(configSchema, requireConfig(LOCAL_RATE_LIMIT_NAME, raw)),
  create: createLocalRateLimit,
  native: {
    encode({ w }, config) {
      w.u64(config.max_packets).u32(config.period);
    },
  },
  kernel: neverLowered('per-source token buckets are shared by every CPU and tier in Quilkin; per-CPU buckets would multiply the limit by the CPU count'),
};
