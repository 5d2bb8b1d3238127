// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices } from '../../../test/support/filter-services';
import { HASHED_TOKEN_ROUTER_NAME, hashedTokenRouter } from './hashed_token_router';

describe('HashedTokenRouter', () => {
  it('is registered under its own name and routes like TokenRouter', () => {
    expect(hashedTokenRouter.name).to.equal(HASHED_TOKEN_ROUTER_NAME);
    const f = hashedTokenRouter.create(hashedTokenRouter.validate({ metadataKey: 't' }), testServices());
    const endpoints = [
      { address: '127.0.0.1:80', tokens: ['a'] },
      { address: '127.0.0.1:90', tokens: ['b'] },
    ];
    const hit = readContext('x', { endpoints, metadata: new Map([['t', Buffer.from('b')]]) });
    expect(f.read!(hit)).to.equal(undefined);
    expect(hit.destinations.map((d) => d.port)).to.deep.equal([90]);
    expect(f.read!(readContext('x', { endpoints }))).to.equal('filter::token_router::no token found');
  });
});
