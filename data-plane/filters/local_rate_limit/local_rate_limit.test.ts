// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { BUCKET_TTL_MS, LOCAL_RATE_LIMIT_NAME, localRateLimitFactory, RateLimiter } from './local_rate_limit';
import { refusal } from '../../../test/support/lowering';

describe('LocalRateLimit', () => {
  it('forgets idle buckets in a lazy sweep, so memory follows active clients', () => {
    let now = 1_700_000_000_000;
    const limiter = new RateLimiter({ max_packets: 5, period: 1 }, () => now);
    for (let port = 1; port <= 100; port++) limiter.admit('10.0.0.1', port);
    expect(limiter.size).to.equal(100);
    now += BUCKET_TTL_MS;
    limiter.admit('10.0.0.2', 1);
    expect(limiter.size).to.equal(1);
  });

  it('uses Quilkin wording for a zero period and requires period in YAML', () => {
    expect(() => localRateLimitFactory.validate({ max_packets: 1, period: 0 })).to.throw(
      'period: field `period` is invalid, reason: value must be at least 1 second',
    );
    expect(() => localRateLimitFactory.validate({ max_packets: 1 })).to.throw(/period/);
    expect(() => localRateLimitFactory.validate({ max_packets: 1.5, period: 1 })).to.throw(/max_packets: must be an unsigned integer/);
  });
});

describe('LocalRateLimit in the kernel', () => {
  it('is not lowered: per-CPU buckets would multiply the limit', () => {
    expect(refusal([{ name: LOCAL_RATE_LIMIT_NAME, config: { max_packets: 10, period: 1 } }])).to.equal(
      `filters[0] (${LOCAL_RATE_LIMIT_NAME}): not lowerable: per-source token buckets are shared by every CPU and tier in Quilkin; per-CPU buckets would multiply the limit by the CPU count`,
    );
  });
});
