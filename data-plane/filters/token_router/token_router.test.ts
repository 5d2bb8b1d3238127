// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices } from '../test-services';
import { tokenRouter } from './token_router';

describe('TokenRouter', () => {
  it('looks tokens up through the cluster map index, not by scanning endpoints', () => {
    const f = tokenRouter.create(tokenRouter.validate(undefined), testServices());
    const ctx = readContext('x', { endpoints: [{ address: '127.0.0.1:80', tokens: ['abc'] }], metadata: new Map([['quilkin.dev/capture', Buffer.from('abc')]]) });
    let lookups = 0;
    const index = ctx.endpoints.endpointsWithToken.bind(ctx.endpoints);
    ctx.endpoints.endpointsWithToken = (t: Buffer) => (lookups++, index(t));
    expect(f.read!(ctx)).to.equal(undefined);
    expect(lookups).to.equal(1);
    expect(ctx.destinations.map((d) => d.key)).to.deep.equal(['127.0.0.1:80']);
  });

  it('defaults the key and validates its type', () => {
    expect(tokenRouter.validate({})).to.deep.equal({ metadataKey: 'quilkin.dev/capture' });
    expect(() => tokenRouter.validate({ metadataKey: 1 })).to.throw('metadataKey: must be a string');
  });
});
