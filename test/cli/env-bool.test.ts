// SPDX-License-Identifier: Apache-2.0
// Boolean flags from the environment read as clap does: `QUIET=false` logs, `NO_ADMIN=0` serves
// admin, `QUILKIN_XDP_FORCE=false` falls back. Without cli/env-bool.ts commander would take the
// mere presence of the variable as "on".
import { expect } from 'chai';
import type { Command } from 'commander';
import { parseBoolish } from '../../cli/env-bool';
import { buildProgram } from '../../cli/main';
import { freePort } from '../support/net';
import { runQuilkin, startQuilkin, stopAllQuilkin, waitForLog } from '../support/proxy-process';

/** `proxy xdp`'s option values for an environment, through the real parser with the action replaced. */
async function xdpValues(env: Record<string, string>): Promise<Record<string, unknown>> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const program = buildProgram();
    const xdp = program.commands.find((c) => c.name() === 'proxy')!.commands.find((c) => c.name() === 'xdp')!;
    let values: Record<string, unknown> | undefined;
    xdp.action((_opts: unknown, command: Command) => {
      values = command.opts();
    });
    await program.parseAsync(['node', 'quilkin', 'proxy', 'xdp']);
    return values!;
  } finally {
    for (const key of Object.keys(env)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

async function adminAnswers(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/live`)).status === 200;
  } catch {
    return false;
  }
}

describe('boolean environment variables (clap boolish)', function () {
  this.timeout(30000);
  afterEach(() => stopAllQuilkin());

  it('reads the clap words, case-insensitively, and an empty value as unset', () => {
    for (const word of ['y', 'YES', 't', 'true', 'On', '1']) expect(parseBoolish(word, 'QUIET'), word).to.equal(true);
    for (const word of ['n', 'No', 'f', 'FALSE', 'off', '0']) expect(parseBoolish(word, 'QUIET'), word).to.equal(false);
    expect(parseBoolish('', 'QUIET')).to.equal(undefined);
    expect(() => parseBoolish('maybe', 'QUIET')).to.throw('invalid value `maybe` for environment variable QUIET');
  });

  it('QUIET=false still logs; QUIET=true logs nothing', async () => {
    const loud = await startQuilkin(['proxy', '--to', '127.0.0.1:9', '--port', String(await freePort()), '--qcmp-port', String(await freePort())], {
      env: { QUIET: 'false' },
    });
    expect(loud.output()).to.include('Quilkin is ready');
    await loud.stop();
    const quiet = await startQuilkin(['proxy', '--to', '127.0.0.1:9', '--port', String(await freePort()), '--qcmp-port', String(await freePort())], {
      env: { QUIET: 'true' },
      waitReady: false,
    });
    // Ready is visible on the admin server only; bounded wait.
    for (let i = 0; i < 100 && (await quiet.get('/ready').catch(() => ({ status: 0 }))).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await quiet.get('/ready')).status).to.equal(200);
    expect(quiet.output()).to.equal('');
  });

  it('NO_ADMIN=0 serves the admin server; NO_ADMIN=1 does not', async () => {
    const served = await startQuilkin(['proxy', '--to', '127.0.0.1:9', '--port', String(await freePort()), '--qcmp-port', String(await freePort())], {
      env: { NO_ADMIN: '0' },
    });
    expect(await adminAnswers(served.adminPort)).to.equal(true);
    await served.stop();
    const none = await startQuilkin(['proxy', '--to', '127.0.0.1:9', '--port', String(await freePort()), '--qcmp-port', String(await freePort())], {
      env: { NO_ADMIN: '1' },
    });
    await waitForLog(none, 'Quilkin is ready');
    expect(none.output()).to.not.include('admin server listening');
    expect(await adminAnswers(none.adminPort)).to.equal(false);
  });

  it('QUILKIN_XDP_FORCE=false leaves the fallback on; =true and the flag turn it off', async () => {
    expect((await xdpValues({ QUILKIN_XDP_FORCE: 'false' }))['xdp.force']).to.equal(false);
    expect((await xdpValues({ QUILKIN_XDP_FORCE: '0' }))['xdp.force']).to.equal(false);
    expect((await xdpValues({ QUILKIN_XDP_FORCE: 'true' }))['xdp.force']).to.equal(true);
    expect((await xdpValues({}))['xdp.force']).to.equal(false);
  });

  it('a boolean variable that is not a clap word is a usage error (exit 2, before anything binds)', async () => {
    const result = await runQuilkin(['--no-admin', 'proxy', '--to', '127.0.0.1:9'], 15000, { env: { QUIET: 'maybe' } });
    expect(result.code).to.equal(2);
    expect(result.output.split('\n')[0]).to.match(/^error: invalid value `maybe` for environment variable QUIET/);
    expect(result.output).to.not.include('listening');
  });
});
