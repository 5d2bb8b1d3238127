// SPDX-License-Identifier: Apache-2.0
// Runs native/engine/tests/swap_test.cc (generation swaps while worker threads run packets) built
// with ThreadSanitizer: every packet must see one whole generation and nothing may race.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../../test/support/repo';

describe('native engine generation swaps under ThreadSanitizer', function () {
  this.timeout(900_000);

  it('keeps every packet on one generation across 2000 swaps, race-free', function () {
    const root = repoRoot();
    const build = spawnSync('make', ['-C', path.join(root, 'native/engine/tests'), '-j2', 'tsan'], { encoding: 'utf8' });
    expect(build.status, `build failed:\n${build.stdout}\n${build.stderr}`).to.equal(0);
    const run = spawnSync(path.join(root, 'build/engine-tests/swap_test_tsan'), [], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, TSAN_OPTIONS: 'halt_on_error=1 exitcode=66' },
    });
    expect(run.status, `swap test failed:\n${run.stdout}\n${run.stderr}`).to.equal(0);
    expect(run.stdout).to.match(/^ok: \d+ packets over 2000 generation swaps/);
  });
});
