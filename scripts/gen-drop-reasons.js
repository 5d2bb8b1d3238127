#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Generates the C view of data-plane/drop_reasons.json (the one drop-reason table).
// `--check` exits 1 if a generated file is stale (CI runs it).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { syncGenerated } = require('./generated-file');

const root = path.resolve(__dirname, '..');
const table = JSON.parse(fs.readFileSync(path.join(root, 'data-plane/drop_reasons.json'), 'utf8'));
const outputs = ['bpf/lib/drop_reasons.h'];

function render() {
  const lines = [
    '/* SPDX-License-Identifier: Apache-2.0 */',
    '/* Generated from data-plane/drop_reasons.json by scripts/gen-drop-reasons.js: do not edit. */',
    '#ifndef QK_DROP_REASONS_H',
    '#define QK_DROP_REASONS_H',
    '',
    'enum qk_drop_reason {',
  ];
  for (const r of table.reasons) lines.push(`\tQK_DROP_${r.name} = ${r.id}, /* ${r.label} */`);
  lines.push(`\tQK_DROP__MAX = ${Math.max(...table.reasons.map((r) => r.id)) + 1},`);
  lines.push('};', '', '#endif /* QK_DROP_REASONS_H */', '');
  return lines.join('\n');
}

const check = process.argv.includes('--check');
let stale = false;
for (const rel of outputs) {
  if (syncGenerated(root, rel, render(), { check, generator: 'scripts/gen-drop-reasons.js' })) stale = true;
}
process.exit(stale ? 1 : 0);
