// SPDX-License-Identifier: Apache-2.0
// Running proxies and manage for the dashboard and Prometheus tests, and reading their /metrics.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../support/net';
import { type QuilkinProcess, startQuilkin } from '../support/proxy-process';

/** Metric family names in a Prometheus text exposition (from the `# TYPE` lines). */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^# TYPE (\S+) /.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

/** The metric family a series name belongs to (histogram series carry _bucket/_sum/_count). */
export function familyOf(series: string, families: Set<string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (series.endsWith(suffix) && families.has(series.slice(0, -suffix.length))) return series.slice(0, -suffix.length);
  }
  return series;
}

export interface QuilkinSet {
  /** The proxy exactly as the dashboards' CI check runs it: static --to, js backend. */
  readonly staticProxy: QuilkinProcess;
  /** manage --provider fs and a proxy fed by it over xDS (for the xDS series). */
  readonly manage: QuilkinProcess;
  readonly xdsProxy: QuilkinProcess;
}

/** Starts the three processes on random loopback ports; the caller stops them (stopAllQuilkin). */
export async function startQuilkinSet(dir: string): Promise<QuilkinSet> {
  const upstream = await freePort();
  const staticProxy = await startQuilkin([
    'proxy',
    '--backend',
    'js',
    '--port',
    String(await freePort()),
    '--qcmp-port',
    String(await freePort()),
    '--to',
    `127.0.0.1:${upstream}`,
  ]);
  const config = path.join(dir, 'manage.yaml');
  fs.writeFileSync(
    config,
    `version: v1alpha1\nclusters:\n  - endpoints:\n      - address: 127.0.0.1:${upstream}\n        metadata:\n          quilkin.dev:\n            tokens: [YWJj]\n`,
  );
  const xdsPort = await freePort();
  const manage = await startQuilkin(['manage', '--provider', 'fs', '-c', config, '--port', String(xdsPort)]);
  const xdsProxy = await startQuilkin(
    [
      'proxy',
      '--backend',
      'js',
      '--port',
      String(await freePort()),
      '--qcmp-port',
      String(await freePort()),
      '--management-server',
      `http://127.0.0.1:${xdsPort}`,
    ],
    { waitReady: false },
  );
  return { staticProxy, manage, xdsProxy };
}
