// SPDX-License-Identifier: Apache-2.0
// xDS over TLS between real processes on loopback, with certificates made by openssl in the test:
// manage requires client certificates from its CA (mutual TLS); a proxy with one gets the config,
// a proxy with a stranger's certificate, one without a certificate and a plaintext client do not.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLUSTER_TYPE } from '../../proto/type-urls';
import { eventually, freePort } from '../support/net';
import { type QuilkinProcess, runQuilkin, startQuilkin, stopAllQuilkin } from '../support/proxy-process';
import { makeTestCerts, type TestCerts } from '../support/tls-certs';
import { type DeltaStream, openDelta } from './plain-ads';

describe('xDS over TLS (loopback, openssl-made certificates)', function () {
  this.timeout(60_000);
  let certs: TestCerts;
  const streams: DeltaStream[] = [];
  before(() => {
    certs = makeTestCerts();
  });
  after(async () => {
    streams.splice(0).forEach((s) => s.close());
    await stopAllQuilkin();
    certs?.remove();
  });

  const proxy = async (url: string, tls: string[]): Promise<QuilkinProcess> =>
    startQuilkin([
      ...tls,
      'proxy',
      '--backend',
      'js',
      '--port',
      String(await freePort()),
      '--qcmp-port',
      String(await freePort()),
      '--management-server',
      url,
      '--idle-request-interval-secs',
      '5',
    ]);

  it('manage with mutual TLS serves a proxy holding a certificate from its CA, and nobody else', async () => {
    const file = path.join(certs.dir, 'quilkin.yaml');
    fs.writeFileSync(file, 'clusters: [{ endpoints: [{ address: 127.0.0.1:9000 }] }]\nfilters: [{ name: quilkin.filters.pass.v1alpha1.Pass }]\n');
    const xdsPort = await freePort();
    await startQuilkin([
      '--tls-cert',
      certs.serverCert,
      '--tls-key',
      certs.serverKey,
      '--tls-ca',
      certs.ca,
      'manage',
      '--provider',
      'fs',
      '-c',
      file,
      '--port',
      String(xdsPort),
    ]);
    const url = `https://127.0.0.1:${xdsPort}`;

    const trusted = await proxy(url, ['--tls-cert', certs.clientCert, '--tls-key', certs.clientKey, '--tls-ca', certs.ca]);
    const stranger = await proxy(url, ['--tls-cert', certs.strangerCert, '--tls-key', certs.strangerKey, '--tls-ca', certs.ca]);
    const anonymous = await proxy(url, ['--tls-ca', certs.ca]);
    // Trusts the system roots only, so it cannot verify manage's certificate.
    const untrusting = await proxy(url, ['--tls-cert', certs.clientCert, '--tls-key', certs.clientKey]);

    await eventually(async () => (await trusted.get('/ready')).status === 200, 15_000, 'the trusted proxy ready');
    expect((await trusted.get('/config')).body).to.contain('127.0.0.1:9000');

    const plain = openDelta(xdsPort);
    streams.push(plain);
    plain.send({ node: { id: 'plaintext' }, typeUrl: CLUSTER_TYPE });
    await plain.failure(10_000);

    await new Promise((r) => setTimeout(r, 1500));
    for (const [name, p] of Object.entries({ stranger, anonymous, untrusting })) {
      expect((await p.get('/ready')).status, `${name} proxy /ready`).to.equal(500);
      expect(p.output(), `${name} proxy log`).to.contain('xDS stream lost');
      expect((await p.get('/config')).body, `${name} proxy config`).to.not.contain('127.0.0.1:9000');
    }
  });

  it('agent -> relay -> proxy, every hop over mutual TLS', async () => {
    const relayFile = path.join(certs.dir, 'relay.yaml');
    fs.writeFileSync(relayFile, 'filters: [{ name: quilkin.filters.pass.v1alpha1.Pass }]\n');
    const agentFile = path.join(certs.dir, 'agent.yaml');
    fs.writeFileSync(agentFile, 'clusters: [{ endpoints: [{ address: 127.0.0.1:9100 }] }]\n');
    const [mdsPort, xdsPort, qcmpPort] = [await freePort(), await freePort(), await freePort()];
    const serving = ['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca', certs.ca];
    const client = ['--tls-cert', certs.clientCert, '--tls-key', certs.clientKey, '--tls-ca', certs.ca];
    await startQuilkin([...serving, 'relay', '--mds-port', String(mdsPort), '--xds-port', String(xdsPort), '--provider', 'fs', '-c', relayFile]);
    const agent = await startQuilkin([
      ...client,
      'agent',
      '--relay',
      `https://127.0.0.1:${mdsPort}`,
      '--provider',
      'fs',
      '-c',
      agentFile,
      '--region',
      'eu',
      '--qcmp-port',
      String(qcmpPort),
    ]);
    await eventually(async () => (await agent.get('/ready')).status === 200, 15_000, 'agent ready over TLS');
    const p = await proxy(`https://127.0.0.1:${xdsPort}`, client);
    await eventually(async () => (await p.get('/config')).body.includes('127.0.0.1:9100'), 15_000, "the agent's endpoint at the proxy");

    // The mDS port wants a client certificate from the CA as well.
    const loneAgent = await startQuilkin([
      '--tls-ca',
      certs.ca,
      'agent',
      '--relay',
      `https://127.0.0.1:${mdsPort}`,
      '--provider',
      'fs',
      '-c',
      agentFile,
      '--region',
      'us',
      '--qcmp-port',
      String(await freePort()),
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await loneAgent.get('/ready')).status).to.equal(500);
  });

  it('refuses half a key pair and unreadable files at start', async () => {
    const half = await runQuilkin(['--tls-cert', certs.serverCert, 'manage']);
    expect(half.code).to.equal(1);
    expect(half.output).to.contain('--tls-cert and --tls-key go together');
    const missing = await runQuilkin(['--tls-cert', '/nonexistent/qkx.pem', '--tls-key', certs.serverKey, 'manage']);
    expect(missing.code).to.equal(1);
    expect(missing.output).to.contain('cannot read the TLS certificate `/nonexistent/qkx.pem`: ENOENT');
  });
});
