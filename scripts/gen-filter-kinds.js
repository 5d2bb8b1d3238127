#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Generates every view of data-plane/filters/kinds.json (the one filter table): the native kind
// table and build sources, the TS kind map and registration, and the kind/folder tables in the docs.
// `--check` exits 1 if a generated file is stale (CI runs it).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { syncGenerated } = require('./generated-file');

const root = path.resolve(__dirname, '..');
const TABLE = 'data-plane/filters/kinds.json';
const GENERATED_BY = `Generated from ${TABLE} by scripts/gen-filter-kinds.js: do not edit.`;
const BEGIN = `<!-- ${GENERATED_BY} -->`;
const END = '<!-- end of generated section -->';

/** Throws naming the row and field, so a bad table row is fixed where it is. */
function validate(table) {
  if (!table || !Array.isArray(table.filters) || table.filters.length === 0) throw new Error(`${TABLE}: \`filters\` must be a non-empty list`);
  const seen = { name: new Set(), folder: new Set(), kind: new Set(), factory: new Set(), short: new Set() };
  const fail = (i, msg) => {
    throw new Error(`${TABLE}: filters[${i}]: ${msg}`);
  };
  const unique = (i, field, value) => {
    if (seen[field].has(value)) fail(i, `${field} \`${value}\` appears twice`);
    seen[field].add(value);
  };
  const matches = (i, field, value, re) => {
    if (typeof value !== 'string' || !re.test(value)) fail(i, `${field} must match ${re}`);
  };
  table.filters.forEach((f, i) => {
    matches(i, 'name', f.name, /^quilkin\.filters\.[a-z_]+\.v[0-9a-z]+\.[A-Z][A-Za-z0-9]*$/);
    matches(i, 'folder', f.folder, /^[a-z][a-z0-9_]*$/);
    matches(i, 'factory', f.factory, /^[A-Za-z_][A-Za-z0-9_]*$/);
    if (!Number.isInteger(f.kind) || f.kind < 1 || f.kind > 255) fail(i, 'kind must be an integer in 1..255 (a u8; 0 is never a filter)');
    if (f.factoryTakesRegistry !== undefined && typeof f.factoryTakesRegistry !== 'boolean') fail(i, 'factoryTakesRegistry must be a boolean');
    if (typeof f.payload !== 'string' || f.payload.length === 0 || /[|\n]/.test(f.payload)) fail(i, 'payload must be one line of text without `|`');
    const n = f.native;
    if (!n || typeof n !== 'object') fail(i, '`native` must be an object');
    matches(i, 'native.header', n.header, /^[a-z0-9_]+\.h$/);
    matches(i, 'native.parse', n.parse, /^[a-z_][a-z0-9_]*$/);
    if (!Array.isArray(n.sources)) fail(i, 'native.sources must be a list (may be empty)');
    n.sources.forEach((s) => matches(i, 'native.sources[]', s, /^[a-z0-9_]+\.cc$/));
    if (n.libraries !== undefined && !Array.isArray(n.libraries)) fail(i, 'native.libraries must be a list');
    (n.libraries ?? []).forEach((l) => matches(i, 'native.libraries[]', l, /^-l[A-Za-z0-9_+.-]+$/));
    unique(i, 'name', f.name);
    unique(i, 'folder', f.folder);
    unique(i, 'kind', f.kind);
    unique(i, 'factory', f.factory);
    unique(i, 'short', shortName(f));
  });
  return table.filters;
}

/** `quilkin.filters.capture.v1alpha1.Capture` -> `Capture`. */
function shortName(f) {
  return f.name.slice(f.name.lastIndexOf('.') + 1);
}

const byKind = (filters) => [...filters].sort((a, b) => a.kind - b.kind);
const byFolder = (filters) => [...filters].sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));

function renderCppHeader(filters) {
  const sorted = byKind(filters);
  const limit = sorted[sorted.length - 1].kind + 1;
  return [
    '// SPDX-License-Identifier: Apache-2.0',
    `// ${GENERATED_BY}`,
    '// Description filter kind -> the native filter that parses it (native/engine/description.md).',
    '#pragma once',
    '',
    '#include <array>',
    '#include <cstddef>',
    '#include <cstdint>',
    '',
    ...byFolder(filters).map((f) => `#include "data-plane/filters/${f.folder}/${f.native.header}"`),
    '#include "native/engine/filter.h"',
    '',
    'namespace qk::engine {',
    '',
    'using ParseFn = std::unique_ptr<Filter> (*)(ParseEnv&, uint32_t);',
    '',
    '// The kind byte of each filter, for code that writes descriptions by hand (tests).',
    'enum class FilterKind : uint8_t {',
    ...sorted.map((f) => `  ${shortName(f)} = ${f.kind},`),
    '};',
    '',
    'struct FilterKindEntry {',
    '  FilterKind kind;',
    '  ParseFn parse;',
    '};',
    '',
    'inline constexpr FilterKindEntry kFilterKindTable[] = {',
    ...sorted.map((f) => `    {FilterKind::${shortName(f)}, filters::${f.native.parse}},`),
    '};',
    '',
    '// One past the largest kind: the size of the lookup table.',
    `inline constexpr size_t kFilterKindLimit = ${limit};`,
    '',
    '// Parsers indexed by kind, null where no filter has that kind. Built by the compiler: a kind of 0,',
    '// out of range or listed twice is not a constant expression, so the build fails instead. (Taken',
    '// kinds are tracked apart: a function address compared with null is no constant under -fsanitize.)',
    'consteval std::array<ParseFn, kFilterKindLimit> parsers_by_kind() {',
    '  std::array<ParseFn, kFilterKindLimit> out{};',
    '  std::array<bool, kFilterKindLimit> taken{};',
    '  for (const FilterKindEntry& e : kFilterKindTable) {',
    '    const size_t kind = static_cast<size_t>(e.kind);',
    '    if (kind == 0 || kind >= out.size() || taken[kind]) throw "bad filter kind table";',
    '    taken[kind] = true;',
    '    out[kind] = e.parse;',
    '  }',
    '  return out;',
    '}',
    '',
    'inline constexpr std::array<ParseFn, kFilterKindLimit> kParsersByKind = parsers_by_kind();',
    '',
    '}  // namespace qk::engine',
    '',
  ].join('\n');
}

function renderGypi(filters) {
  const sources = byFolder(filters).flatMap((f) => f.native.sources.map((s) => `../../data-plane/filters/${f.folder}/${s}`));
  const libraries = [...new Set(byFolder(filters).flatMap((f) => f.native.libraries ?? []))];
  const list = (items) => items.map((s) => `    "${s}"`).join(',\n');
  return [
    '# SPDX-License-Identifier: Apache-2.0',
    `# ${GENERATED_BY}`,
    "# The filters' native sources and the libraries they link (paths relative to this file).",
    '{',
    '  "sources": [',
    list(sources),
    '  ],',
    '  "libraries": [',
    list(libraries),
    '  ]',
    '}',
    '',
  ].join('\n');
}

function renderKindsTs(filters) {
  return [
    '// SPDX-License-Identifier: Apache-2.0',
    `// ${GENERATED_BY}`,
    '// The description kind of each filter (native/engine/description.md), by Quilkin name.',
    'export const FILTER_KINDS: ReadonlyMap<string, number> = new Map([',
    ...byKind(filters).map((f) => `  ['${f.name}', ${f.kind}],`),
    ']);',
    '',
  ].join('\n');
}

function renderIndexTs(filters) {
  const imports = [
    ...filters.map((f) => ({ line: `import { ${f.factory} } from './${f.folder}/${f.folder}';`, from: `./${f.folder}/${f.folder}` })),
    { line: "import { FilterRegistry } from './registry';", from: './registry' },
  ].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return [
    '// SPDX-License-Identifier: Apache-2.0',
    `// ${GENERATED_BY}`,
    "// Registers every filter once, in the table's order; no import-time side effects elsewhere.",
    ...imports.map((i) => i.line),
    '',
    'export function registerAll(registry: FilterRegistry): FilterRegistry {',
    ...filters.map((f) => `  registry.register(${f.factory}${f.factoryTakesRegistry ? '(registry)' : ''});`),
    '  return registry;',
    '}',
    '',
    'let defaultRegistry: FilterRegistry | undefined;',
    '',
    '/** The registry with every production filter. */',
    'export function filterRegistry(): FilterRegistry {',
    '  defaultRegistry ??= registerAll(new FilterRegistry());',
    '  return defaultRegistry;',
    '}',
    '',
  ].join('\n');
}

function renderDescriptionTable(filters) {
  return ['| kind | filter | payload |', '|---|---|---|', ...byKind(filters).map((f) => `| ${f.kind} | ${shortName(f)} | ${f.payload} |`)].join('\n');
}

function renderFolderTable(filters) {
  return ['| folder | name | kind |', '|---|---|---|', ...byFolder(filters).map((f) => `| \`${f.folder}/\` | \`${f.name}\` | ${f.kind} |`)].join('\n');
}

/** Replaces the generated section of a hand-written file; both markers must be there already. */
function withSection(rel, render) {
  return (filters, have) => {
    const begin = have.indexOf(BEGIN);
    const end = have.indexOf(END);
    if (begin < 0 || end < begin) throw new Error(`${rel}: the generated section's markers are missing (\`${BEGIN}\` ... \`${END}\`)`);
    return `${have.slice(0, begin + BEGIN.length)}\n${render(filters)}\n${have.slice(end)}`;
  };
}

const outputs = [
  { rel: 'native/engine/filter_kinds.h', render: renderCppHeader },
  { rel: 'native/engine/filters.gypi', render: renderGypi },
  { rel: 'data-plane/filters/kinds.ts', render: renderKindsTs },
  { rel: 'data-plane/filters/index.ts', render: renderIndexTs },
  { rel: 'native/engine/description.md', render: withSection('native/engine/description.md', renderDescriptionTable) },
  { rel: 'data-plane/filters/README.md', render: withSection('data-plane/filters/README.md', renderFolderTable) },
];

function main() {
  const check = process.argv.includes('--check');
  let filters;
  try {
    filters = validate(JSON.parse(fs.readFileSync(path.join(root, TABLE), 'utf8')));
  } catch (err) {
    console.error(err.message);
    return 1;
  }
  let stale = false;
  for (const { rel, render } of outputs) {
    const file = path.join(root, rel);
    const have = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    let want;
    try {
      want = render(filters, have);
    } catch (err) {
      console.error(err.message);
      return 1;
    }
    if (syncGenerated(root, rel, want, { check, generator: 'scripts/gen-filter-kinds.js' })) stale = true;
  }
  return stale ? 1 : 0;
}

process.exit(main());
