// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { cidrContains, ipv4ToInt, parseCidr, parseIp } from './cidr';
import { FIREWALL_NAME, firewallFactory, parsePortRange } from './firewall';
import { STEP } from '../../../bpf/fast-abi';
import { decodeFirewallRule } from '../../compiler/kernel-wire';
import { ipBytes } from '../../compiler/ip-bytes';
import { lowered, program, refusal, step } from '../../../test/support/lowering';

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

describe('Firewall in the kernel', () => {
  const rule = (action: string, sources: string[], ports: (string | number)[]) => ({ action, sources, ports });
  const ip = (text: string): Buffer => ipBytes(text).bytes;

  it("puts each direction's rules in the shared table, the step naming the first and the count", () => {
    const first = { on_read: [rule('ALLOW', ['10.0.0.0/8', 'fd00::/16'], [7000, '8000-9000']), rule('DENY', ['0.0.0.0/0'], ['0-65535'])], on_write: [] };
    const second = { on_read: [], on_write: [rule('ALLOW', ['192.168.1.1'], ['7777'])] };
    const chain = lowered([
      { name: FIREWALL_NAME, config: first },
      { name: FIREWALL_NAME, config: second },
    ]);
    expect(program(chain, 'read')).to.deep.equal([
      step({ kind: STEP.FIREWALL, arg: 0, count: 2, slot: 0 }),
      step({ kind: STEP.FIREWALL, arg: 2, count: 0, slot: 1 }),
    ]);
    // Write runs last to first, after read's rules: the second filter's rule is index 2.
    expect(program(chain, 'write')).to.deep.equal([
      step({ kind: STEP.FIREWALL, arg: 2, count: 1, slot: 1 }),
      step({ kind: STEP.FIREWALL, arg: 3, count: 0, slot: 0 }),
    ]);
    const rules = chain.image(1).firewall.map((e) => ({ index: e.key.readUInt32LE(), rule: decodeFirewallRule(e.value) }));
    expect(rules).to.deep.equal([
      {
        index: 64,
        rule: {
          allow: true,
          sources: [
            { family: 4, prefix: 8, ip: ip('10.0.0.0') },
            { family: 6, prefix: 16, ip: ip('fd00::') },
          ],
          ports: [
            { min: 7000, end: 7001 },
            { min: 8000, end: 9000 },
          ],
        },
      },
      { index: 65, rule: { allow: false, sources: [{ family: 4, prefix: 0, ip: ip('0.0.0.0') }], ports: [{ min: 0, end: 65535 }] } },
      { index: 66, rule: { allow: true, sources: [{ family: 4, prefix: 32, ip: ip('192.168.1.1') }], ports: [{ min: 7777, end: 7778 }] } },
    ]);
    expect(chain.summary).to.equal('read: Firewall(2 rules) > Firewall(0 rules); write: Firewall(1 rule) > Firewall(0 rules)');
  });

  it("refuses a rule past the kernel's sources or ports, and more than QK_FAST_FW_RULES rules in all", () => {
    const sources = Array.from({ length: 9 }, (_, i) => `10.0.${i}.0/24`);
    expect(refusal([{ name: FIREWALL_NAME, config: { on_read: [], on_write: [rule('ALLOW', ['10.0.0.0/8'], [1]), rule('ALLOW', sources, [1])] } }])).to.equal(
      `filters[0] (${FIREWALL_NAME}): not lowerable: on_write[1].sources: 9 sources, more than the 8 a rule holds in the kernel`,
    );
    const ports = Array.from({ length: 9 }, (_, i) => 1000 + i);
    expect(refusal([{ name: FIREWALL_NAME, config: { on_read: [rule('DENY', ['::/0'], ports)], on_write: [] } }])).to.equal(
      `filters[0] (${FIREWALL_NAME}): not lowerable: on_read[0].ports: 9 port ranges, more than the 8 a rule holds in the kernel`,
    );
    const many = (n: number) => ({ on_read: Array.from({ length: n }, () => rule('ALLOW', ['10.0.0.0/8'], [1])), on_write: [] });
    expect(lowered([{ name: FIREWALL_NAME, config: many(64) }]).image(0).firewall).to.have.length(64);
    expect(
      refusal([
        { name: FIREWALL_NAME, config: many(40) },
        { name: FIREWALL_NAME, config: many(25) },
      ]),
    ).to.equal(`filters[1] (${FIREWALL_NAME}): not lowerable: more than 64 firewall rules in all Firewall filters together`);
  });
});
