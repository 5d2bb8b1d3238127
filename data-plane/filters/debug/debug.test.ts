// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { DEBUG_NAME, debugFactory } from './debug';
import { refusal } from '../../../test/support/lowering';
import { PASS_NAME } from '../pass/pass';

describe('Debug', () => {
  it('logs reads and writes at info with id, addresses and lossy UTF-8 contents', () => {
    const services = testServices();
    const f = debugFactory.create(debugFactory.validate({ id: 'probe' }), services);
    f.read!(readContext(Buffer.from([0x68, 0x69, 0xff]), { source: '[::1]:9' }));
    f.write!(writeContext('ok', { source: '127.0.0.1:7001', dest: '127.0.0.1:8000' }));
    expect(services.recorded.logs).to.deep.equal([
      { level: 'info', message: 'Read filter event', fields: { id: 'probe', source: '[::1]:9', contents: 'hi\ufffd' } },
      { level: 'info', message: 'Write filter event', fields: { id: 'probe', source: '127.0.0.1:7001', dest: '127.0.0.1:8000', contents: 'ok' } },
    ]);
  });

  it('accepts no config at all', () => {
    expect(debugFactory.validate(undefined)).to.deep.equal({});
  });
});

describe('Debug in the kernel', () => {
  it('is not lowered, wherever it sits', () => {
    expect(refusal([{ name: PASS_NAME }, { name: PASS_NAME }, { name: DEBUG_NAME, config: { id: 'x' } }])).to.equal(
      `filters[2] (${DEBUG_NAME}): not lowerable: logs every packet from user space`,
    );
  });
});
