// SPDX-License-Identifier: Apache-2.0
// RUST_LOG directives name Quilkin v0.9's tracing targets (`quilkin::components::admin`) or our
// module names (`admin`); both select the same log lines (runtime/log-targets.ts).
import { expect } from 'chai';
import { freePort } from '../support/net';
import { type QuilkinProcess, startQuilkin, stopAllQuilkin } from '../support/proxy-process';

async function proxyWith(rustLog: string): Promise<QuilkinProcess> {
  const args = ['proxy', '--to', '127.0.0.1:9', '--port', String(await freePort()), '--qcmp-port', String(await freePort())];
  return startQuilkin(args, { env: { RUST_LOG: rustLog } });
}

function targets(proc: QuilkinProcess): string[] {
  return proc
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { target: string }).target);
}

describe('RUST_LOG: Quilkin targets and our module names', function () {
  this.timeout(30000);
  afterEach(() => stopAllQuilkin());

  for (const directive of ['info,quilkin::components::admin=off', 'info,admin=off']) {
    it(`${directive} silences the admin server's lines only`, async () => {
      const proc = await proxyWith(directive);
      expect(proc.output()).to.include('Quilkin is ready');
      expect(proc.output()).to.not.include('admin server listening');
      expect(targets(proc)).to.not.include('quilkin::components::admin');
    });
  }

  it('a target prefix keeps only its lines (quilkin::cli=info)', async () => {
    const proc = await proxyWith('quilkin::cli=info');
    const seen = targets(proc);
    expect(seen).to.include('quilkin::cli');
    for (const target of seen) expect(target.startsWith('quilkin::cli'), target).to.equal(true);
  });
});
