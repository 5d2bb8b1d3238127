// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { tokenHash } from '../../cluster-map';
import { readContext, testServices } from '../../../test/support/filter-services';
import { tokenRouter } from './token_router';

describe('TokenRouter', () => {
  it('looks tokens up through the cluster map index, not by scanning endpoints', () => {
    const f = tokenRouter.create(tokenRouter.validate(undefined), testServices());
    const ctx = readContext('x', {
      endpoints: [{ address: '127.0.0.1:80', tokens: ['abc'] }],
      metadata: new Map([['quilkin.dev/capture', Buffer.from('abc')]]),
    });
    let lookups = 0;
    const index = ctx.endpoints.endpointsWithToken.bind(ctx.endpoints);
    ctx.endpoints.endpointsWithToken = (t: Buffer) => (lookups++, index(t));
    expect(f.read!(ctx)).to.equal(undefined);
    expect(lookups).to.equal(1);
    expect(ctx.destinations.map((d) => d.key)).to.deep.equal(['127.0.0.1:80']);
  });

  it('defaults the key and validates its type', () => {
    expect(tokenRouter.validate({})).to.deep.equal({ metadataKey: 'quilkin.dev/capture' });
    expect(tokenRouter.validate({ metadataKey: 1 })).to.deep.equal({ metadataKey: '1' }); // serde_yaml reads a scalar as its text
    expect(() => tokenRouter.validate({ metadataKey: [1] })).to.throw('metadataKey: must be a string');
  });
});

describe('TokenRouter over colliding token hashes', () => {
  it('tells apart two tokens whose index hashes collide', () => {
    const seen = new Map<number, Buffer>();
    let pair: [Buffer, Buffer] | undefined;
    // Fixed-length FNV-1a is a bijection on 4-byte inputs, so search 6-byte tokens from a
    // deterministic generator; a 32-bit collision turns up after about 2^16 of them.
    let state = 12345;
    const nextByte = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24;
    for (let i = 0; !pair && i < 2_000_000; i++) {
      const token = Buffer.from([nextByte(), nextByte(), nextByte(), nextByte(), nextByte(), nextByte()]);
      const other = seen.get(tokenHash(token));
      if (other && !other.equals(token)) pair = [other, token];
      else seen.set(tokenHash(token), token);
    }
    if (!pair) throw new Error('no hash collision found');
    const [a, b] = pair;
    const endpoints = [
      { address: '127.0.0.1:80', tokens: [a] },
      { address: '127.0.0.1:90', tokens: [b] },
    ];
    const f = tokenRouter.create(tokenRouter.validate(undefined), testServices());
    for (const [token, port] of [
      [a, 80],
      [b, 90],
    ] as const) {
      const ctx = readContext('x', { endpoints, metadata: new Map([['quilkin.dev/capture', token]]) });
      expect(f.read!(ctx)).to.equal(undefined);
      expect(ctx.destinations.map((d) => d.port)).to.deep.equal([port]);
    }
  });
});
