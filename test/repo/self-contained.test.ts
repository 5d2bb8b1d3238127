// SPDX-License-Identifier: Apache-2.0
// The repository stands alone: no tracked file names a path outside the checkout (a folder beside
// it, a machine-specific absolute path). A fresh clone in an empty directory must build and test.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../support/repo';
import { outsideReferences } from './outside-references';

/** The checker and its self-check spell out the very paths they look for. */
const CHECKER_FILES = new Set(['test/repo/self-contained.test.ts', 'test/repo/outside-references.ts']);

function trackedFiles(root: string): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && !CHECKER_FILES.has(f));
}

describe('repository: self-contained', () => {
  const root = repoRoot();

  it('finds the outside references it is meant to catch (self-check)', () => {
    const topLevel = new Set(['native', 'docs', 'package.json']);
    // Samples name a made-up folder beside the checkout: nothing here is read.
    const beside = '../../sibling';
    const absolute = '/work/sibling/conformance';
    const found = outsideReferences('docs/a.md', `see ${beside}/DESIGN.md and ../docs/x.md\n${absolute}\n`, topLevel);
    expect(found.map((f) => f.text)).to.deep.equal([beside, absolute]);
    // From a nested build directory, `../../native/x` names the checkout's own native/ folder.
    expect(outsideReferences('scripts/gen.sh', 'p = `../../native/${p}`', topLevel)).to.deep.equal([]);
    expect(outsideReferences('cli/a.ts', "require('../../package.json')", topLevel)).to.deep.equal([]);
    const resolved = "repoRoot(), '..', 'sibling'";
    expect(outsideReferences('a.ts', `path.resolve(${resolved})`, topLevel).map((f) => f.text)).to.deep.equal([resolved]);
  });

  it('no tracked file references a path outside the checkout', function () {
    if (!fs.existsSync(path.join(root, '.git'))) this.skip(); // an unpacked archive, not a checkout
    const files = trackedFiles(root);
    const topLevel = new Set(fs.readdirSync(root));
    const problems: string[] = [];
    for (const file of files) {
      const full = path.join(root, file);
      if (!fs.statSync(full, { throwIfNoEntry: false })?.isFile()) continue;
      const bytes = fs.readFileSync(full);
      if (bytes.includes(0)) continue; // binary (BPF objects)
      for (const ref of outsideReferences(file, bytes.toString('utf8'), topLevel)) problems.push(`${file}:${ref.line}: ${ref.text}`);
    }
    expect(files.length, 'git ls-files found the tracked files').to.be.greaterThan(100);
    expect(problems).to.deep.equal([]);
  });
});
