// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { captureFactory, CAPTURE_NAME, createCapture, validateCapture } from './capture';
import { DIR_INDEX, FAST, STEP } from '../../../bpf/fast-abi';
import { decodeBank } from '../../compiler/kernel-wire';
import { lowered, program, refusal, step } from '../../../test/support/lowering';
import { CONCATENATE_NAME } from '../concatenate/concatenate';

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

describe('Capture in the kernel', () => {
  it('lowers a suffix with remove: op, flags, size and both keys', () => {
    const chain = lowered([{ name: CAPTURE_NAME, config: { metadataKey: 'k', suffix: { size: 3, remove: true } } }]);
    expect(program(chain, 'read')).to.deep.equal([
      step({ kind: STEP.CAPTURE, op: FAST.QK_STEP_CAPTURE_SUFFIX, flags: FAST.QK_STEP_F_REMOVE, arg: 3, key: 0, key2: 1 }),
    ]);
    expect(chain.keys).to.deep.equal(['k', 'k/is_present']);
    expect(program(chain, 'write')).to.deep.equal([]);
    expect(chain.summary).to.equal('read: Capture(suffix 3, remove); write: (empty)');
  });

  it('marks the read direction as reading the payload, so the program copies its windows there only', () => {
    const flags = (filters: Parameters<typeof lowered>[0]) => decodeBank(lowered(filters).image(0).header.value).flags;
    expect(flags([{ name: CAPTURE_NAME, config: { suffix: { size: 3 } } }])).to.equal(FAST.QK_FAST_BANK_F_PAYLOAD << DIR_INDEX.read);
    expect(flags([{ name: CONCATENATE_NAME, config: { on_read: 'APPEND', bytes: 'eA==' } }])).to.equal(0);
  });

  it('lowers a prefix of up to QK_FAST_VALUE_MAX bytes under the default key', () => {
    const chain = lowered([{ name: CAPTURE_NAME, config: { prefix: { size: FAST.QK_FAST_VALUE_MAX } } }]);
    expect(program(chain, 'read')).to.deep.equal([step({ kind: STEP.CAPTURE, op: FAST.QK_STEP_CAPTURE_PREFIX, arg: 32, key: 0, key2: 1 })]);
    expect(chain.keys).to.deep.equal(['quilkin.dev/capture', 'quilkin.dev/capture/is_present']);
  });

  it('refuses a regex, a size past QK_FAST_VALUE_MAX and a capture after a Concatenate', () => {
    expect(refusal([{ name: CAPTURE_NAME, config: { regex: { pattern: 'a+' } } }])).to.equal(
      `filters[0] (${CAPTURE_NAME}): not lowerable: regex: regex captures run in user space (RE2)`,
    );
    expect(refusal([{ name: CAPTURE_NAME, config: { prefix: { size: 33 } } }])).to.equal(
      `filters[0] (${CAPTURE_NAME}): not lowerable: prefix.size: 33 bytes, more than the 32 a metadata value holds in the kernel`,
    );
    const concat = { name: CONCATENATE_NAME, config: { on_read: 'APPEND', bytes: 'YQ==' } };
    expect(refusal([concat, { name: CAPTURE_NAME, config: { suffix: { size: 1 } } }])).to.equal(
      `filters[1] (${CAPTURE_NAME}): not lowerable: Capture after Concatenate: the kernel captures from the payload as received`,
    );
  });

  it('lowers after a Concatenate of the other direction only', () => {
    const concat = { name: CONCATENATE_NAME, config: { on_write: 'APPEND', bytes: 'YQ==' } };
    const chain = lowered([concat, { name: CAPTURE_NAME, config: { suffix: { size: 1 } } }]);
    expect(program(chain, 'read').map((s) => s.kind)).to.deep.equal([STEP.CAPTURE]);
    expect(program(chain, 'write').map((s) => s.kind)).to.deep.equal([STEP.CONCATENATE]);
  });
});
