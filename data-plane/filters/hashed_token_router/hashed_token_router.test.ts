// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices } from '../../../test/support/filter-services';
import { HASHED_TOKEN_ROUTER_NAME, hashedTokenRouter } from './hashed_token_router';
import { STEP } from '../../../bpf/fast-abi';
import { lowered, program, step } from '../../../test/support/lowering';

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

describe('HashedTokenRouter in the kernel', () => {
  it('is the same TOKEN_ROUTER step under its own name', () => {
    const chain = lowered([{ name: HASHED_TOKEN_ROUTER_NAME }]);
    expect(program(chain, 'read')).to.deep.equal([step({ kind: STEP.TOKEN_ROUTER, key: 0 })]);
    expect(chain.keys).to.deep.equal(['quilkin.dev/capture']);
    expect(chain.summary).to.equal('read: HashedTokenRouter; write: (empty)');
  });
});
