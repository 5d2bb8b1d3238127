// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { grpcTarget, ReconnectBackoff } from './reconnect-backoff';

describe('xDS reconnect backoff', () => {
  it('doubles from 500 ms, caps at 30 s, and adds up to 2 s of jitter', () => {
    const none = new ReconnectBackoff(undefined, () => 0);
    expect(Array.from({ length: 8 }, () => none.next())).to.deep.equal([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    const most = new ReconnectBackoff(undefined, () => 0.9999);
    expect(most.next()).to.equal(500 + 1999);
  });

  it('starts over after a success', () => {
    const b = new ReconnectBackoff(undefined, () => 0);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).to.equal(500);
    expect(b.attempts).to.equal(1);
  });

  it('turns management server URLs into gRPC targets and rejects what Quilkin rejects', () => {
    expect(grpcTarget('http://manage:7800')).to.deep.equal({ target: 'manage:7800', secure: false });
    expect(grpcTarget('http://[::1]:7800').target).to.equal('[::1]:7800');
    expect(grpcTarget('https://cp.example').target).to.equal('cp.example:443');
    expect(() => grpcTarget('manage:7800')).to.throw('No scheme provided');
    expect(() => grpcTarget('ftp://manage:7800')).to.throw('scheme must be http or https');
  });
});
