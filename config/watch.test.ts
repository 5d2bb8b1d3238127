// SPDX-License-Identifier: Apache-2.0
// The config file watcher against what editors, operators and Kubernetes do to a file: truncate,
// truncate then write, symlinks into other directories, dangling symlinks, ConfigMap swaps.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { filterRegistry } from '../data-plane/filters';
import type { Config } from './model';
import { type ConfigFileWatcher, isBlankYaml, watchConfigFile } from './watch';

const yamlFor = (port: number): string => `clusters: [{ endpoints: [{ address: 127.0.0.1:${port} }] }]\n`;
const ports = (c: Config): number[] => c.clusters.flatMap((cl) => cl.endpoints.map((e) => e.address.port));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('config file watcher', function () {
  this.timeout(10000);
  let root: string;
  let watcher: ConfigFileWatcher | undefined;
  let configs: Config[];
  let errors: Error[];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'qk-watch-'));
    configs = [];
    errors = [];
  });
  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    fs.rmSync(root, { recursive: true, force: true });
  });

  const watch = (file: string): void => {
    watcher = watchConfigFile(file, filterRegistry(), { onConfig: (c) => configs.push(c), onInvalid: (e) => errors.push(e) });
  };

  it('rejects a truncated file with a precise error instead of applying an empty config', async () => {
    const file = path.join(root, 'quilkin.yaml');
    fs.writeFileSync(file, yamlFor(7001));
    watch(file);
    fs.truncateSync(file, 0);
    await until(() => errors.length === 1, 'the rejection');
    expect(errors[0].message).to.match(/is empty; keeping the last good config .*clusters: \[\]/);
    await sleep(200);
    expect(configs).to.have.length(0);
  });

  it('applies only the final content of a truncate-then-write, with no rejection in between', async () => {
    const file = path.join(root, 'quilkin.yaml');
    fs.writeFileSync(file, yamlFor(7001));
    watch(file);
    const fd = fs.openSync(file, 'r+');
    fs.ftruncateSync(fd, 0);
    await sleep(120); // longer than the debounce: the watcher sees the empty file first
    fs.writeSync(fd, yamlFor(7002), 0);
    fs.closeSync(fd);
    await until(() => configs.length === 1, 'the new config');
    await sleep(200);
    expect(configs.map(ports)).to.deep.equal([[7002]]);
    expect(errors).to.have.length(0);
  });

  it('applies an explicitly empty cluster list', async () => {
    const file = path.join(root, 'quilkin.yaml');
    fs.writeFileSync(file, yamlFor(7001));
    watch(file);
    fs.writeFileSync(file, 'clusters: []\n');
    await until(() => configs.length === 1, 'the empty-by-intent config');
    expect(configs[0].clusters).to.have.length(0);
  });

  it('follows a symlink into another directory and sees its target edited in place', async () => {
    fs.mkdirSync(path.join(root, 'real'));
    fs.mkdirSync(path.join(root, 'links'));
    const target = path.join(root, 'real', 'config.yaml');
    fs.writeFileSync(target, yamlFor(7001));
    const link = path.join(root, 'links', 'quilkin.yaml');
    fs.symlinkSync(path.join('..', 'real', 'config.yaml'), link);
    watch(link);
    fs.writeFileSync(target, yamlFor(7003));
    await until(() => configs.length === 1, 'the in-place edit of the target');
    expect(ports(configs[0])).to.deep.equal([7003]);
  });

  it('reports a dangling symlink once, keeps quiet while it stays dangling, resumes when it is back', async () => {
    const target = path.join(root, 'target.yaml');
    fs.writeFileSync(target, yamlFor(7001));
    const link = path.join(root, 'quilkin.yaml');
    fs.symlinkSync(target, link);
    watch(link);
    fs.rmSync(target);
    await until(() => errors.length === 1, 'the missing-file report');
    expect(errors[0].message).to.match(/is missing \(deleted, or a dangling symlink\)/);
    fs.writeFileSync(path.join(root, 'unrelated-but-touch.yaml'), 'x');
    fs.symlinkSync(target, path.join(root, 'quilkin.yaml.tmp'));
    fs.renameSync(path.join(root, 'quilkin.yaml.tmp'), link); // an event on our name, still dangling
    await sleep(400);
    expect(errors).to.have.length(1);
    expect(configs).to.have.length(0);
    fs.writeFileSync(target, yamlFor(7004));
    await until(() => configs.length === 1, 'the file back');
    expect(ports(configs[0])).to.deep.equal([7004]);
  });

  it('follows a Kubernetes ConfigMap ..data swap', async () => {
    const v1 = path.join(root, '..2024_01');
    const v2 = path.join(root, '..2024_02');
    fs.mkdirSync(v1);
    fs.mkdirSync(v2);
    fs.writeFileSync(path.join(v1, 'quilkin.yaml'), yamlFor(7001));
    fs.writeFileSync(path.join(v2, 'quilkin.yaml'), yamlFor(7005));
    fs.symlinkSync('..2024_01', path.join(root, '..data'));
    fs.symlinkSync(path.join('..data', 'quilkin.yaml'), path.join(root, 'quilkin.yaml'));
    watch(path.join(root, 'quilkin.yaml'));
    fs.symlinkSync('..2024_02', path.join(root, '..data_tmp'));
    fs.renameSync(path.join(root, '..data_tmp'), path.join(root, '..data'));
    await until(() => configs.length === 1, 'the swapped config');
    expect(ports(configs[0])).to.deep.equal([7005]);
    // The new target is watched too: an edit there is seen.
    fs.writeFileSync(path.join(v2, 'quilkin.yaml'), yamlFor(7006));
    await until(() => configs.length === 2, 'the edit of the new target');
    expect(ports(configs[1])).to.deep.equal([7006]);
  });

  it('tells blank YAML from YAML that says something', () => {
    for (const blank of ['', '\n\n', '# only a comment\n', '---\n# c\n...\n', '   \t\n']) expect(isBlankYaml(blank), JSON.stringify(blank)).to.equal(true);
    for (const text of ['clusters: []', '{}', 'version: v1alpha1\n']) expect(isBlankYaml(text), text).to.equal(false);
  });
});
