// SPDX-License-Identifier: Apache-2.0
// Real protocol peers through the proxy: dig against dnsmasq, and the schema generator's output.
import { expect } from 'chai';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { eventually, freePort } from '../support/net';
import { runQuilkin, startQuilkin, stopAllQuilkin } from '../support/proxy-process';

const exec = promisify(execFile);

describe('real clients through quilkin proxy', function () {
  this.timeout(30000);
  let dnsmasq: ChildProcess | undefined;

  afterEach(async () => {
    await stopAllQuilkin();
    dnsmasq?.kill('SIGKILL');
    dnsmasq = undefined;
  });

  it('forwards dig queries to dnsmasq and returns its answers; metrics count both directions', async () => {
    const dnsPort = await freePort();
    dnsmasq = spawn(
      'dnsmasq',
      [
        '--no-daemon',
        '--conf-file=/dev/null',
        `--port=${dnsPort}`,
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        '--address=/game.test/10.1.2.3',
      ],
      {
        stdio: 'ignore',
      },
    );
    const proxyPort = await freePort();
    const proc = await startQuilkin([
      'proxy',
      '--backend',
      'js',
      '--port',
      String(proxyPort),
      '--qcmp-port',
      String(await freePort()),
      '--to',
      `127.0.0.1:${dnsPort}`,
    ]);
    let answer = '';
    await eventually(
      async () => {
        const { stdout } = await exec('dig', ['+short', '+tries=1', '+time=1', '-p', String(proxyPort), '@127.0.0.1', 'game.test', 'A']).catch(() => ({
          stdout: '',
        }));
        answer = stdout.trim();
        return answer === '10.1.2.3';
      },
      10000,
      'dig to get its answer through the proxy',
    );
    const metrics = (await proc.get('/metrics')).body;
    const count = (event: string): number => {
      const line = metrics.split('\n').find((l) => l.startsWith(`quilkin_packets_total{event="${event}"`));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    expect(count('read')).to.be.greaterThan(0);
    expect(count('write')).to.be.greaterThan(0);
    expect(metrics).to.match(/quilkin_bytes_total\{event="write"[^}]*\} [1-9]/);
  });
});

describe('quilkin generate-config-schema', function () {
  this.timeout(20000);

  it('writes a schema for the config file and one per filter', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quilkin-schema-'));
    try {
      const r = await runQuilkin(['generate-config-schema', '-o', dir]);
      expect(r.code, r.output).to.equal(0);
      const files = fs.readdirSync(dir);
      expect(files).to.include('quilkin.yaml.schema.json');
      expect(files).to.include('quilkin.filters.capture.v1alpha1.Capture.yaml.schema.json');
      const schema = JSON.parse(fs.readFileSync(path.join(dir, 'quilkin.yaml.schema.json'), 'utf8'));
      // `filters` may be null (as Quilkin's Option), so the list is one of two variants.
      const filterList = schema.properties.filters.anyOf.find((v: { type?: string }) => v.type === 'array');
      expect(filterList.items.properties.name.enum).to.include('quilkin.filters.token_router.v1alpha1.TokenRouter');
      expect(schema.additionalProperties).to.equal(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names an unknown filter id', async () => {
    const r = await runQuilkin(['generate-config-schema', '-o', os.tmpdir(), '--filter-ids', 'nope']);
    expect(r.code).to.equal(1);
    expect(r.output).to.include('filter `nope` not found');
  });
});
