// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { BUCKET_TTL_MS, localRateLimitFactory, RateLimiter } from './local_rate_limit';

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
