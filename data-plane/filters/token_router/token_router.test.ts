// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { tokenHash } from '../../cluster-map';
import { readContext, testServices } from '../../../test/support/filter-services';
import { TOKEN_ROUTER_NAME, tokenRouter } from './token_router';
import { STEP } from '../../../bpf/fast-abi';
import { decodeTokenKey, decodeTokenValue } from '../../compiler/kernel-wire';
import { cluster, endpoint, lowered, program, refusal, step } from '../../../test/support/lowering';
import { CAPTURE_NAME } from '../capture/capture';

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

describe('TokenRouter in the kernel', () => {
  const capture = { name: CAPTURE_NAME, config: { metadataKey: 't', suffix: { size: 3, remove: true } } };
  const router = { name: TOKEN_ROUTER_NAME, config: { metadataKey: 't' } };
  const tokens = (chain: ReturnType<typeof lowered>, bank: 0 | 1 = 0) =>
    chain.image(bank).tokens.map((e) => ({ ...decodeTokenKey(e.key), ...decodeTokenValue(e.value) }));

  it('reads the key and routes through the token table, holders by endpoint index', () => {
    const chain = lowered([capture, router], [cluster([endpoint('10.0.0.2:7000', ['abc', 'xyz']), endpoint('10.0.0.1:7000', ['abc'])])]);
    expect(program(chain, 'read')[1]).to.deep.equal(step({ kind: STEP.TOKEN_ROUTER, key: 0, slot: 1 }));
    expect(program(chain, 'write')).to.deep.equal([]);
    expect(chain.endpointKeys).to.deep.equal(['10.0.0.2:7000', '10.0.0.1:7000']);
    expect(tokens(chain, 1)).to.deep.equal([
      { bank: 1, token: Buffer.from('abc'), n: 2, holders: [0, 1] },
      { bank: 1, token: Buffer.from('xyz'), n: 1, holders: [0] },
    ]);
    expect(chain.summary).to.equal('read: Capture(suffix 3, remove) > TokenRouter; write: (empty)');
  });

  it('stores the first QK_FAST_DESTS holders of a token and counts them all', () => {
    const endpoints = Array.from({ length: 11 }, (_, i) => endpoint(`10.0.1.${i + 1}:7000`, ['many', `own${i}`]));
    const many = tokens(lowered([capture, router], [cluster(endpoints)])).find((t) => t.token.equals(Buffer.from('many')));
    expect(many).to.deep.equal({ bank: 0, token: Buffer.from('many'), n: 11, holders: [0, 1, 2, 3, 4, 5, 6, 7] });
  });

  it('zero-pads token bytes past their length in the key', () => {
    const entry = lowered([capture, router], [cluster([endpoint('10.0.0.1:7000', ['ab'])])]).image(0).tokens[0];
    expect(entry.key.subarray(4).toString('hex')).to.equal('6162' + '00'.repeat(30));
  });

  it('refuses a token the kernel cannot match, naming its endpoint', () => {
    const long = [cluster([endpoint('10.0.0.1:7000', ['x'.repeat(33)])])];
    expect(refusal([capture, router], long)).to.equal('endpoint 10.0.0.1:7000: a 33-byte token, more than the 32 bytes the kernel matches');
    expect(refusal([capture, router], [cluster([endpoint('[fd00::1]:7000', [''])])])).to.equal(
      "endpoint [fd00::1]:7000: an empty token, which the kernel's token table cannot hold",
    );
    // Without a token router nothing reads the table, so its limits do not apply.
    expect(lowered([capture], long).image(0).tokens).to.deep.equal([]);
  });

  it('refuses more than QK_FAST_TOKENS distinct tokens', () => {
    const many = Array.from({ length: 32769 }, (_, i) => `t${i}`);
    expect(refusal([capture, router], [cluster([endpoint('10.0.0.1:7000', many)])])).to.equal('32769 distinct tokens, more than the 32768 a bank holds');
  });
});
