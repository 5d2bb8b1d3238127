// SPDX-License-Identifier: Apache-2.0
// The committed XDP objects: fresh (rebuilt byte for byte), accepted by the
// verifier, and behaving as the case table in bpf/tests/cases.c says when run
// through BPF_PROG_RUN, first with an empty XSKMAP, then with a real AF_XDP
// socket on a veth in a namespace this test creates and removes.
import { SpawnSyncReturns, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { expect } from 'chai';

import { XDP_OBJECTS } from '../../bpf/abi';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { repoRoot } from '../support/repo';

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  const result = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, env: { ...process.env, ...env } });
  if (result.error) throw new Error(`${cmd}: ${result.error.message}`);
  return result;
}

/** Asserts a TAP run: exit 0, a plan, every check "ok", at least `minChecks` of them. */
function expectAllOk(result: SpawnSyncReturns<string>, minChecks: number): void {
  const output = `${result.stdout}\n${result.stderr}`;
  const failed = result.stdout.split('\n').filter((line) => line.startsWith('not ok'));
  expect(failed, output).to.deep.equal([]);
  expect(result.status, output).to.equal(0);
  const plan = /^1\.\.(\d+)$/m.exec(result.stdout);
  expect(plan, `no TAP plan in:\n${output}`).to.not.equal(null);
  expect(Number(plan?.[1])).to.be.at.least(minChecks);
  const passed = result.stdout.split('\n').filter((line) => line.startsWith('ok ')).length;
  expect(passed).to.equal(Number(plan?.[1]));
}

/** Number of rows in the C case table, so a table that silently shrank is caught. */
function caseTableRows(root: string): number {
  const source = fs.readFileSync(path.join(root, 'bpf/tests/cases.c'), 'utf8');
  const table = source.slice(source.indexOf('xdp_cases[] = {'), source.indexOf('xdp_cases_count'));
  return table.split('\n').filter((line) => /^\t\{ "/.test(line)).length;
}

describe('bpf: committed XDP program through the verifier and BPF_PROG_RUN', function () {
  this.timeout(180000);
  const root = repoRoot();
  let tmp = '';
  let harness = '';

  before(function () {
    skipWithoutBpf(this);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qkbpf-prog-'));
    const build = run('bash', [path.join(root, 'bpf/build.sh'), path.join(tmp, 'obj')], { QK_BPF_TOOLS_DIR: path.join(tmp, 'bin') });
    expect(build.status, build.stderr).to.equal(0);
    harness = path.join(tmp, 'bin/xdp_cases');
  });

  after(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('bpf/check.sh: objects are up to date and the verifier accepts them', function () {
    const result = run('bash', [path.join(root, 'bpf/check.sh')]);
    expect(result.status, `${result.stdout}\n${result.stderr}`).to.equal(0);
    expect(result.stdout).to.match(/qk_xdp_redirect loaded, \d+ xlated bytes, verified/);
    expect(result.stdout).to.match(/qk_xdp_pass loaded/);
  });

  it('case table with an empty XSKMAP (matched frames fall back to XDP_PASS, counted as no_xsk)', function () {
    const rows = caseTableRows(root);
    expect(rows).to.be.at.least(50);
    expectAllOk(run(harness, [path.join(root, XDP_OBJECTS.redirect)]), rows);
  });

  it('case table with a real AF_XDP socket on queue 0 of a veth (matched frames get XDP_REDIRECT)', function () {
    const tag = `${process.pid % 100000}`;
    const ns = `qkbpf-x-${tag}`;
    const dev = `qkbpfx${tag}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      // Two rx queues, so the harness can show that queue 1 (no socket) still passes.
      execFileSync('ip', [
        '-n',
        ns,
        'link',
        'add',
        dev,
        'numrxqueues',
        '2',
        'numtxqueues',
        '2',
        'type',
        'veth',
        'peer',
        'name',
        `${dev}p`,
        'numrxqueues',
        '2',
        'numtxqueues',
        '2',
      ]);
      execFileSync('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      execFileSync('ip', ['-n', ns, 'link', 'set', `${dev}p`, 'up']);
      const result = run('ip', ['netns', 'exec', ns, harness, path.join(root, XDP_OBJECTS.redirect), '--xsk', dev]);
      expectAllOk(result, caseTableRows(root) + 1);
      expect(result.stdout).to.match(/^ok \d+ - xsk-other-queue/m);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
