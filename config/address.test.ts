// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { canonicalIp, compareEndpointAddress, parseEndpointAddress } from './address';

describe('endpoint addresses', () => {
  const valid: Array<[string, string, string]> = [
    ['127.0.0.1:7001', '127.0.0.1:7001', 'ipv4'],
    ['udp://127.0.0.1:7001', '127.0.0.1:7001', 'ipv4'],
    ['udp://127.0.0.1:7001/', '127.0.0.1:7001', 'ipv4'],
    ['[2345:0425:2CA1:0000:0000:0567:5673:24b5]:25999', '[2345:425:2ca1::567:5673:24b5]:25999', 'ipv6'],
    ['[::ffff:10.0.0.1]:80', '10.0.0.1:80', 'ipv4'],
    ['localhost:80', 'localhost:80', 'dns'],
    ['game-1.example.org:7777', 'game-1.example.org:7777', 'dns'],
  ];
  for (const [input, key, kind] of valid) {
    it(`parses ${input}`, () => {
      const a = parseEndpointAddress(input);
      expect(a.key).to.equal(key);
      expect(a.kind).to.equal(kind);
    });
  }

  const invalid: Array<[string, string]> = [
    ['127.0.0.1', 'port is required'],
    ['127.0.0.1:', 'port is required'],
    ['tcp://127.0.0.1:80', 'non UDP based URLs are not permitted'],
    ['udp://127.0.0.1:80/path', 'paths are not permitted'],
    ['127.0.0.1:70000', 'out of range'],
    ['::1:80', 'IPv6 addresses must be in brackets'],
    ['[zz::1]:80', 'is not an IPv6 address'],
    [':80', 'host is required'],
    ['bad host:80', 'is not an IP address or DNS name'],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)}: ${message}`, () => {
      expect(() => parseEndpointAddress(input)).to.throw(message);
    });
  }

  it('orders DNS names before IPv4 before IPv6, numerically, then by port', () => {
    const sorted = ['[::1]:1', '10.0.0.2:1', '9.0.0.1:5', 'b.example:1', '10.0.0.2:0', 'a.example:9']
      .map(parseEndpointAddress)
      .sort(compareEndpointAddress)
      .map((a) => a.key);
    expect(sorted).to.deep.equal(['a.example:9', 'b.example:1', '9.0.0.1:5', '10.0.0.2:0', '10.0.0.2:1', '[::1]:1']);
  });

  it('canonicalises IPv4-mapped IPv6 sources', () => {
    expect(canonicalIp('::ffff:192.168.1.1')).to.equal('192.168.1.1');
    expect(canonicalIp('::1')).to.equal('::1');
  });
});
