// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { TIMESTAMP_NAME, timestampFactory } from './timestamp';
import { refusal } from '../../../test/support/lowering';

describe('Timestamp', () => {
  it('observes now - timestamp in seconds, per direction, labelled with the metadata key', () => {
    const services = testServices();
    services.clockMs = 1_700_000_010_500;
    const f = timestampFactory.create(timestampFactory.validate({ metadataKey: 'ts' }), services);
    const be = Buffer.alloc(8);
    be.writeBigInt64BE(1_700_000_000n);
    f.read!(readContext('x', { metadata: new Map([['ts', be]]) }));
    f.write!(writeContext('x', { metadata: new Map([['ts', 1_700_000_020]]) }));
    expect(services.recorded.histograms.get(`${TIMESTAMP_NAME}|duration|read|ts`)).to.deep.equal([10.5]);
    expect(services.recorded.histograms.get(`${TIMESTAMP_NAME}|duration|write|ts`)).to.deep.equal([-9.5]);
  });

  it('warns and skips timestamps outside the representable date range', () => {
    const services = testServices();
    const f = timestampFactory.create(timestampFactory.validate({ metadataKey: 'ts' }), services);
    f.read!(readContext('x', { metadata: new Map([['ts', Buffer.from('7fffffffffffffff', 'hex')]]) }));
    expect(services.recorded.histograms.size).to.equal(0);
    expect(services.recorded.logs.map((l) => l.level)).to.deep.equal(['warn']);
  });
});

describe('Timestamp in the kernel', () => {
  it('is not lowered', () => {
    expect(refusal([{ name: TIMESTAMP_NAME, config: { metadataKey: 'ts' } }])).to.equal(
      `filters[0] (${TIMESTAMP_NAME}): not lowerable: its histogram compares the wall clock with a metadata timestamp in user space`,
    );
  });
});
