// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { captureFactory, CAPTURE_NAME, createCapture, validateCapture } from './capture';

describe('Capture', () => {
  it('validates idempotently: a normalised config validates to itself', () => {
    for (const raw of [{ suffix: { size: 3 } }, { metadataKey: 'k', prefix: { size: 0, remove: true } }, { regex: { pattern: '.$' } }]) {
      const once = validateCapture(raw);
      expect(validateCapture(once)).to.deep.equal(once);
    }
  });

  it('names the field in validation errors', () => {
    expect(() => validateCapture({ suffix: { size: 'WRONG' } })).to.throw(/suffix\.size/);
    expect(() => validateCapture({ regex: { pattern: '(' } })).to.throw(/regex\.pattern: regex `\(`: unclosed group/);
    expect(() => validateCapture(undefined)).to.throw(`filter \`${CAPTURE_NAME}\` requires configuration, but none provided`);
  });

  it('records is_present=false before dropping when nothing is captured', () => {
    const ctx = readContext('ab');
    expect(createCapture(validateCapture({ prefix: { size: 3 } })).read!(ctx)).to.equal('filter::capture::no value captured');
    expect(ctx.metadata.get('quilkin.dev/capture/is_present')).to.equal(false);
    expect(ctx.metadata.has('quilkin.dev/capture')).to.equal(false);
  });

  it('removes without copying: the trimmed packet and the capture share the packet bytes', () => {
    const packet = Buffer.from('hello123');
    const ctx = readContext(packet);
    createCapture(validateCapture({ suffix: { size: 3, remove: true } })).read!(ctx);
    expect(ctx.contents.buffer).to.equal(packet.buffer);
    expect(ctx.contents.toString()).to.equal('hello');
    expect((ctx.metadata.get('quilkin.dev/capture') as Buffer).toString()).to.equal('123');
  });

  it('has no write step, so writes pass unchanged', () => {
    const filter = captureFactory.create(validateCapture({ suffix: { size: 1 } }), testServices());
    expect(filter.write).to.equal(undefined);
    const ctx = writeContext('abc');
    expect(ctx.contents.toString()).to.equal('abc');
  });

  it('publishes a JSON Schema with the closed key set', () => {
    const schema = captureFactory.schema as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(schema.properties).sort()).to.deep.equal(['metadataKey', 'prefix', 'regex', 'suffix']);
    expect(schema.additionalProperties).to.equal(false);
  });
});
