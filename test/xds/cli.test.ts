// SPDX-License-Identifier: Apache-2.0
// The manage/agent/relay commands: flags from the option tables, and precise errors.
import { expect } from 'chai';
import { runQuilkin } from '../support/proxy-process';

/** Help text with its line wrapping undone. */
async function help(command: string): Promise<string> {
  const result = await runQuilkin([command, '--help']);
  expect(result.code).to.equal(0);
  return result.output.replace(/\s+/g, ' ');
}

describe('quilkin manage/agent/relay command line', () => {
  it('lists the manage, agent and relay flags with their defaults', async () => {
    const manage = await help('manage');
    for (const flag of [
      '--port <port>',
      'default: 7800',
      '--relay <url>',
      '--region',
      '--zone',
      '--sub-zone',
      '--provider <kind>',
      '"fs", "k8s", "agones"',
      '--config-namespace',
    ])
      expect(manage).to.contain(flag);
    const relay = await help('relay');
    for (const flag of ['--mds-port <port>', 'default: 7900', '--xds-port <port>', '--idle-request-interval-secs']) expect(relay).to.contain(flag);
    const agent = await help('agent');
    for (const flag of ['--qcmp-port <port>', '--icao-code <code>', '--relay <url>', '--address-type']) expect(agent).to.contain(flag);
  });

  it('rejects an unknown provider and a bad ICAO code', async () => {
    const provider = await runQuilkin(['manage', '--provider', 'consul']);
    expect(provider.code).to.not.equal(0);
    expect(provider.output).to.contain("argument 'consul' is invalid");
    const icao = await runQuilkin(['agent', '--icao-code', 'egll']);
    expect(icao.code).to.not.equal(0);
    expect(icao.output).to.contain('`egll` is not an ICAO code');
  });

  it('fails with the reason when the xDS port is taken', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '::', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runQuilkin(['--no-admin', 'manage', '--provider', 'fs', '-c', '/nonexistent/qkx.yaml', '--port', String(port)]);
      expect(result.code).to.equal(1);
      expect(result.output).to.contain('cannot bind xDS server');
    } finally {
      blocker.close();
    }
  });
});
