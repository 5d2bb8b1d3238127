#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Prints the addon's source files, one per line, relative to the repository root: native/binding.gyp
// and the .gypi part each of its targets includes (JSON with `#` comment lines). Used to count the
// native build's steps (scripts/setup.sh) and to compile every source for arm64
// (scripts/check-arm64.sh), so neither keeps its own list.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const readGyp = (file) =>
  JSON.parse(
    fs
      .readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n'),
  );

const sources = [];
for (const target of readGyp('native/binding.gyp').targets) {
  for (const src of target.sources ?? []) sources.push(path.posix.join('native', src));
  for (const part of target.includes ?? []) {
    const file = path.posix.join('native', part);
    for (const src of readGyp(file).sources ?? []) sources.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), src)));
  }
}
process.stdout.write(`${sources.join('\n')}\n`);
