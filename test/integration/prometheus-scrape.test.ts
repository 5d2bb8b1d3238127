// SPDX-License-Identifier: Apache-2.0
// A real Prometheus (Debian package `prometheus`) scrapes a running proxy, a manage and an
// xDS-fed proxy on loopback, loads deploy/prometheus/alerts.yaml, and answers for their series.
import { expect } from 'chai';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startQuilkinSet } from '../deploy/quilkin-set';
import { eventually, freePort } from '../support/net';
import { stopAllQuilkin } from '../support/proxy-process';
import { repoRoot } from '../support/repo';

const ALERTS = (): string => path.join(repoRoot(), 'deploy', 'prometheus', 'alerts.yaml');

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

function requireTool(name: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error(`${name} is not installed: the Debian package \`prometheus\` (scripts/apt-packages-test.txt) provides it`);
  return found.stdout.trim();
}

describe('Prometheus scraping proxy and manage (loopback)', function () {
  this.timeout(90000);
  let dir: string;
  let prometheus: ChildProcess | undefined;
  let promUrl = '';
  let promLog = '';

  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quilkin-prom-'))));

  after(async () => {
    if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      const timer = setTimeout(() => prometheus!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await stopAllQuilkin();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function query(promql: string): Promise<Sample[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data?: { result: Sample[] }; error?: string };
    if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
    return body.data!.result;
  }

  it('promtool accepts the alerting rules and rejects a broken rule', () => {
    const promtool = requireTool('promtool');
    const out = execFileSync(promtool, ['check', 'rules', ALERTS()], { encoding: 'utf8' });
    expect(out).to.match(/SUCCESS: 4 rules found/);
    const broken = path.join(dir, 'broken.yaml');
    fs.writeFileSync(broken, 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: rate(quilkin_packets_total[5m]\n');
    expect(spawnSync(promtool, ['check', 'rules', broken]).status).to.not.equal(0);
  });

  it('gets every process series and the alert rules into Prometheus', async () => {
    const binary = requireTool('prometheus');
    const set = await startQuilkinSet(dir);
    const deadPort = await freePort();
    const targets = [set.staticProxy, set.manage, set.xdsProxy].map((p) => `127.0.0.1:${p.adminPort}`);
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${ALERTS()}`,
        'scrape_configs:',
        '  - job_name: quilkin',
        '    static_configs:',
        `      - targets: [${[...targets, `127.0.0.1:${deadPort}`].map((t) => `"${t}"`).join(', ')}]`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      binary,
      [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    prometheus.stdout!.on('data', (d: Buffer) => (promLog += d.toString()));
    prometheus.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));

    const up = async (): Promise<Record<string, string>> => {
      try {
        return Object.fromEntries((await query('up{job="quilkin"}')).map((s) => [s.metric.instance, s.value[1]]));
      } catch {
        return {};
      }
    };
    await eventually(
      async () => {
        const states = await up();
        return targets.every((t) => states[t] === '1') && states[`127.0.0.1:${deadPort}`] === '0';
      },
      30000,
      `Prometheus to scrape ${targets.join(', ')} (log: ${promLog})`,
    );

    const generations = await query('quilkin_config_generation');
    expect(generations.map((s) => s.metric.instance).sort()).to.deep.equal([...targets].sort());
    await eventually(
      async () => (await query('quilkin_xds_connected{role="client"} == 1')).some((s) => s.metric.instance === targets[2]),
      20000,
      'the proxy xDS stream state',
    );
    const endpoints = await query(`quilkin_cluster_active_endpoints{instance="${targets[1]}"}`);
    expect(endpoints.map((s) => s.value[1])).to.deep.equal(['1']);
    const sessions = (await query('quilkin_session_total')).map((s) => s.metric.instance);
    expect(sessions).to.include.members([targets[0], targets[2]]);

    const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string }> }> };
    };
    const group = rules.data.groups.find((g) => g.name === 'quilkin');
    expect(group?.rules.map((r) => r.name)).to.deep.equal(['QuilkinProxyDown', 'QuilkinHighDropRate', 'QuilkinXdsDisconnected', 'QuilkinConfigRejected']);
    await eventually(
      async () => {
        const again = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as typeof rules;
        return again.data.groups.find((g) => g.name === 'quilkin')!.rules.every((r) => r.health === 'ok');
      },
      10000,
      'every rule evaluated without error',
    );
    // The dead target makes QuilkinProxyDown pending (it fires only after its 1m `for`).
    await eventually(
      async () => (await query('ALERTS{alertname="QuilkinProxyDown"}')).some((s) => s.metric.instance === `127.0.0.1:${deadPort}`),
      15000,
      'the proxy-down alert for the dead target',
    );
  });
});
