// SPDX-License-Identifier: Apache-2.0
// The C unit tests of the AF_XDP packet layer (native/net, native/xsk):
// checksums (incremental against full recomputation over fixed-seed random
// headers), frame parse/rewrite, the session port table against a model and
// the UMEM frame allocator.
// They need no privileges; `make` also checks that csum.h compiles for BPF.
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { expect } from 'chai';

import { repoRoot } from '../support/repo';

const xskDir = path.join(repoRoot(), 'native', 'xsk');

describe('native AF_XDP layer: C unit tests', function () {
  this.timeout(180000);

  before(() => {
    execFileSync('make', ['-C', xskDir, '-j2', 'all'], { stdio: 'pipe', timeout: 170000 });
  });

  for (const name of ['csum_test', 'frame_test', 'session_test', 'umem_test']) {
    it(`${name} passes`, () => {
      const run = spawnSync(path.join(xskDir, 'build', name), { encoding: 'utf8', timeout: 60000 });
      expect(run.error, String(run.error)).to.equal(undefined);
      expect(run.status, `${name} failed:\n${run.stderr}`).to.equal(0);
      expect(run.stdout).to.match(new RegExp(`^${name}: ok \\(\\d+ cases\\)`));
    });
  }
});
