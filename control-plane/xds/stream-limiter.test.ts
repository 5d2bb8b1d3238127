// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { StreamLimiter } from './stream-limiter';

describe('StreamLimiter: total and per-IP caps', () => {
  it('refuses past the per-IP cap first, then past the total, and gives slots back once', () => {
    const limiter = new StreamLimiter(3, 2);
    const a1 = limiter.admit('10.0.0.1');
    const a2 = limiter.admit('10.0.0.1');
    expect(limiter.admit('10.0.0.1')).to.deep.equal({ ok: false, hit: 'peer' });
    const b1 = limiter.admit('10.0.0.2');
    expect(limiter.admit('10.0.0.3')).to.deep.equal({ ok: false, hit: 'total' });
    expect(a1.ok && a2.ok && b1.ok).to.equal(true);
    if (!a1.ok) return;
    a1.release();
    a1.release();
    expect(limiter.open).to.equal(2);
    expect(limiter.heldBy('10.0.0.1')).to.equal(1);
    expect(limiter.admit('10.0.0.3').ok).to.equal(true);
  });
});
