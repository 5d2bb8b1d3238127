#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Generates proto/gen/ (TypeScript, protoc-gen-es) from the protos in proto/ with buf, both
// pinned in package-lock.json. The output is committed so a build needs neither tool;
// `--check` exits 1 if proto/gen/ differs from what the protos generate (scripts/test.sh runs it).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const protoDir = path.join(root, 'proto');
const committed = path.join(protoDir, 'gen');
const bin = path.join(root, 'node_modules', '.bin');

/** Relative path -> content of every file under `dir`. */
function tree(dir) {
  const out = new Map();
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.set(path.relative(dir, full), fs.readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

function generate(outDir) {
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
  execFileSync(path.join(bin, 'buf'), ['generate', '--output', outDir], { cwd: protoDir, env, stdio: ['ignore', 'inherit', 'inherit'] });
  return path.join(outDir, 'gen');
}

const check = process.argv.includes('--check');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'quilkin-gen-protos-'));
try {
  const fresh = generate(scratch);
  if (check) {
    const want = tree(fresh);
    const have = tree(committed);
    const stale = [...new Set([...want.keys(), ...have.keys()])].filter((f) => want.get(f) !== have.get(f)).sort();
    if (stale.length > 0) {
      console.error(`proto/gen is stale (${stale.join(', ')}): run node scripts/gen-protos.js`);
      process.exitCode = 1;
    }
  } else {
    fs.rmSync(committed, { recursive: true, force: true });
    fs.cpSync(fresh, committed, { recursive: true });
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
