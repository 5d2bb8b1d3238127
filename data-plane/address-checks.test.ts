// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { destinationAddressProblem, sourceAddressProblem } from './address-checks';

describe('address checks', () => {
  it('refuses sources that can never be answered', () => {
    for (const [ip, port] of [
      ['127.0.0.1', 0],
      ['0.0.0.0', 5000],
      ['0.1.2.3', 5000],
      ['::', 5000],
      ['::ffff:0.0.0.0', 5000],
      ['224.0.0.1', 5000],
      ['255.255.255.255', 5000],
      ['ff02::1', 5000],
      ['::ffff:239.1.1.1', 5000],
      ['10.0.0.1', 65536],
      ['not an ip', 5000],
    ] as const) {
      expect(sourceAddressProblem(ip, port), `${ip}:${port}`).to.be.a('string');
    }
  });

  it('accepts ordinary unicast sources, loopback and mapped ones included', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '::1', 'fd00::1', '::ffff:192.0.2.1', '2001:db8::5']) {
      expect(sourceAddressProblem(ip, 4000), ip).to.equal(undefined);
    }
  });

  it('refuses port 0 and unspecified destinations, allows multicast ones', () => {
    expect(destinationAddressProblem('127.0.0.1', 0)).to.equal('destination port 0');
    expect(destinationAddressProblem('0.0.0.0', 7000)).to.equal('an unspecified address');
    expect(destinationAddressProblem('::', 7000)).to.equal('an unspecified address');
    expect(destinationAddressProblem('::ffff:0.0.0.0', 7000)).to.equal('an unspecified address');
    expect(destinationAddressProblem('239.1.1.1', 7000)).to.equal(undefined);
    expect(destinationAddressProblem('::ffff:127.0.0.1', 7000)).to.equal(undefined);
  });
});
