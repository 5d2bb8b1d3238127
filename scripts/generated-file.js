// SPDX-License-Identifier: Apache-2.0
// The write-or-check step the generators share: writes a generated file that differs from what it
// should be, or with `check` only reports it (CI must fail on a stale file, never fix it silently).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Returns true when `rel` (below `root`) was stale in check mode. */
function syncGenerated(root, rel, want, { check, generator }) {
  const file = path.join(root, rel);
  const have = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (have === want) return false;
  if (check) {
    console.error(`${rel} is stale: run node ${generator}`);
    return true;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, want);
  return false;
}

module.exports = { syncGenerated };
