// SPDX-License-Identifier: Apache-2.0
// The benchmark harness end to end, on one short scenario: it builds its tools and its
// namespaces, measures kernel forwarding, writes well-formed results and cleans up.
// No timing assertions: only that traffic went through and the output is complete.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../support/repo';

const PREFIX = 'qkbt';

function ourNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`${PREFIX}-`));
}

describe('bench smoke (root, network namespaces)', function () {
  this.timeout(120000);
  let out: string;

  before(function () {
    if (process.getuid?.() !== 0) this.skip(); // needs root: CAP_NET_ADMIN + CAP_BPF for namespaces and XDP
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'qkbt-'));
  });

  after(() => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
    spawnSync('bash', [path.join(repoRoot(), 'bench', 'netns.sh'), 'down', PREFIX, '202']);
  });

  it('runs one short scenario and writes well-formed results', () => {
    const main = path.join(repoRoot(), 'dist', 'bench', 'main.js');
    const r = spawnSync('node', [main, '--profile', 'smoke', '--prefix', PREFIX, '--octet', '202', '--out', out, '--no-docs'], {
      encoding: 'utf8',
      timeout: 100000,
    });
    expect(r.status, r.stderr).to.equal(0);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.meta.kernel).to.equal(os.release());
    expect(results.meta.profile.name).to.equal('smoke');
    expect(results.subjects).to.have.length(1);
    const kernel = results.subjects[0];
    expect(kernel.id).to.equal('kernel');
    expect(kernel.available).to.equal(true);
    const flood = kernel.sessions['1'].runs[0];
    expect(flood.deliveredPps).to.be.a('number').greaterThan(0);
    expect(flood.loss).to.be.within(0, 1);
    expect(flood.cpu.busy).to.have.length(os.cpus().length);
    const echo = kernel.echo.runs[0];
    expect(echo.received).to.be.greaterThan(0);
    expect(kernel.latency.runs[0].rttUs.samples).to.be.greaterThan(0);
    expect(fs.readFileSync(path.join(out, 'chart.svg'), 'utf8')).to.match(/^<svg[\s\S]*kernel IP forwarding[\s\S]*<\/svg>\n$/);
  });

  it('leaves no namespace behind', () => {
    expect(ourNamespaces()).to.deep.equal([]);
  });
});
