// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { cidrContains, ipv4ToInt, parseCidr, parseIp } from './cidr';
import { firewallFactory, parsePortRange } from './firewall';

describe('Firewall', () => {
  it('parses port ranges as half-open, with Quilkin wording for empty ranges', () => {
    expect(parsePortRange(7000)).to.deep.equal({ min: 7000, max: 7001 });
    expect(parsePortRange('1000-7000')).to.deep.equal({ min: 1000, max: 7000 });
    expect(parsePortRange('7000-7000')).to.equal('invalid port range: min 7000 is greater than or equal to max 7000');
    expect(parsePortRange(65535)).to.match(/overflows/);
    expect(parsePortRange('70000')).to.match(/0-65535/);
  });

  it('parses CIDRs and bare addresses, rejecting bad prefixes and hosts', () => {
    expect(parseCidr('10.1.2.3')).to.deep.equal({ family: 4, base: ipv4ToInt('10.1.2.3'), mask: 0xffffffff });
    expect(parseCidr('10.1.2.3/8')).to.deep.equal({ family: 4, base: ipv4ToInt('10.0.0.0'), mask: 0xff000000 });
    expect(parseCidr('10.0.0.0/33')).to.be.a('string');
    expect(parseCidr('300.1.1.1/24')).to.be.a('string');
    expect(parseCidr('fe80::/10')).to.include({ family: 6, prefix: 10 });
  });

  it('matches IPv4 networks against mapped and compatible IPv6 forms, IPv6 by prefix bits', () => {
    const v4 = parseCidr('192.168.0.0/16');
    if (typeof v4 === 'string') throw new Error(v4);
    expect(cidrContains(v4, parseIp('::ffff:192.168.3.4'))).to.equal(true);
    expect(cidrContains(v4, parseIp('::192.168.3.4'))).to.equal(true);
    expect(cidrContains(v4, parseIp('2001:db8::c0a8:304'))).to.equal(false);
    const v6 = parseCidr('fe80::/10');
    if (typeof v6 === 'string') throw new Error(v6);
    expect(cidrContains(v6, parseIp('febf::1'))).to.equal(true);
    expect(cidrContains(v6, parseIp('fec0::1'))).to.equal(false);
    expect(cidrContains(v6, parseIp('10.0.0.1'))).to.equal(false);
  });

  it('checks the client on read and the upstream endpoint on write', () => {
    const f = firewallFactory.create(
      firewallFactory.validate({
        on_read: [{ action: 'ALLOW', sources: ['10.0.0.0/8'], ports: ['1-65535'] }],
        on_write: [{ action: 'ALLOW', sources: ['127.0.0.1/32'], ports: [7001] }],
      }),
      testServices(),
    );
    expect(f.read!(readContext('x', { source: '10.2.3.4:5' }))).to.equal(undefined);
    expect(f.read!(readContext('x', { source: '11.2.3.4:5' }))).to.equal('filter::firewall::denied');
    expect(f.write!(writeContext('x', { source: '127.0.0.1:7001', dest: '11.2.3.4:5' }))).to.equal(undefined);
    expect(f.write!(writeContext('x', { source: '127.0.0.1:7002' }))).to.equal('filter::firewall::denied');
  });

  it('reports every bad rule field with its path', () => {
    expect(() => firewallFactory.validate({ on_read: [{ action: 'MAYBE', sources: ['x'], ports: [] }], on_write: [] })).to.throw(
      /on_read\[0\]\.action: .*; on_read\[0\]\.sources\[0\]: /,
    );
  });
});
