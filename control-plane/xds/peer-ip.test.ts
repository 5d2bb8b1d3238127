// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { peerIp } from './peer-ip';

describe('peerIp: the remote IP of a gRPC call', () => {
  it('strips ports, brackets, scheme prefixes and the IPv4-mapped form', () => {
    expect(peerIp('127.0.0.1:51234')).to.equal('127.0.0.1');
    expect(peerIp('[::1]:51234')).to.equal('::1');
    expect(peerIp('[::ffff:10.1.2.3]:7900')).to.equal('10.1.2.3');
    expect(peerIp('ipv4:192.168.0.9:40000')).to.equal('192.168.0.9');
  });
});
