// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { defaultRouteInterface, requestedSessionPorts, sessionPortRange } from './host-facts';

describe('xdp host facts', function () {
  describe('sessionPortRange', function () {
    it('takes every port above the ephemeral range', function () {
      expect(sessionPortRange('32768\t60999\n', 7777, 7600)).to.deep.equal({ min: 61000, max: 65535 });
    });
    it('keeps the listen and QCMP ports out, choosing the largest run left', function () {
      expect(sessionPortRange('32768 60999', 62000, 7600)).to.deep.equal({ min: 62001, max: 65535 });
      expect(sessionPortRange('32768 60999', 65000, 61500)).to.deep.equal({ min: 61501, max: 64999 });
    });
    it('refuses a range that leaves nothing above it, naming the sysctl', function () {
      expect(() => sessionPortRange('1024 65535', 7777, 7600)).to.throw(/net\.ipv4\.ip_local_port_range/);
      expect(() => sessionPortRange('nonsense', 7777, 7600)).to.throw(/cannot parse/);
    });
  });

  describe('requestedSessionPorts (--xdp.session-ports)', function () {
    it('accepts a range outside the ephemeral range and the proxy ports, below or above it', function () {
      expect(requestedSessionPorts('61000-62999', '32768 60999', 7777, 7600)).to.deep.equal({ min: 61000, max: 62999 });
      expect(requestedSessionPorts(' 10000-29999\n', '32768 60999', 7777, 7600)).to.deep.equal({ min: 10000, max: 29999 });
      expect(requestedSessionPorts('1-1', '32768 60999', 7777, 7600)).to.deep.equal({ min: 1, max: 1 });
    });
    it('refuses malformed or out-of-range text, precisely', function () {
      for (const bad of ['', '61000', '61000-', '0-100', '100-65536', '62000-61000', 'a-b', '61000-62000-63000'])
        expect(() => requestedSessionPorts(bad, '32768 60999', 7777, 7600), bad).to.throw(/--xdp\.session-ports .*expected MIN-MAX/);
    });
    it('refuses a range holding the listen or QCMP port', function () {
      expect(() => requestedSessionPorts('7000-8000', '32768 60999', 7777, 7600)).to.throw('--xdp.session-ports 7000-8000 contains the listen port 7777');
      expect(() => requestedSessionPorts('7600-7700', '32768 60999', 7777, 7600)).to.throw('contains the QCMP port 7600');
    });
    it("refuses any overlap with the kernel's ephemeral range, naming it and the sysctl", function () {
      for (const overlap of ['30000-32768', '60999-61500', '40000-41000', '50000-65535'])
        expect(() => requestedSessionPorts(overlap, '32768 60999', 7777, 7600), overlap).to.throw(
          /overlaps the kernel's ephemeral ports 32768-60999 \(net\.ipv4\.ip_local_port_range\)/,
        );
      expect(() => requestedSessionPorts('61000-62000', 'nonsense', 7777, 7600)).to.throw(/cannot parse/);
    });
  });

  describe('defaultRouteInterface', function () {
    const v4 = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth1\t0011A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    ].join('\n');
    const v6 =
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 ens5\n';
    it('reads the IPv4 default route', function () {
      expect(defaultRouteInterface(v4, v6)).to.equal('eth0');
    });
    it('falls back to the IPv6 default route, never loopback', function () {
      expect(defaultRouteInterface(v4.split('\n')[0], v6)).to.equal('ens5');
      expect(defaultRouteInterface('', v6.replace('ens5', 'lo'))).to.equal(undefined);
    });
  });
});
