// SPDX-License-Identifier: Apache-2.0
// A filter's whole contract lives in its folder plus one row of kinds.json: this proves it for
// every row (files, factory, native encoder, generated views), and that nothing else in the
// repository names a filter's kind number or reaches for a filter's encoder.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../test/support/repo';
import type { FilterFactory } from './filter';
import { filterRegistry } from './index';
import { FILTER_KINDS } from './kinds';
import type { FilterRegistry } from './registry';

interface KindRow {
  readonly name: string;
  readonly folder: string;
  readonly kind: number;
  readonly factory: string;
  readonly factoryTakesRegistry?: boolean;
  readonly native: { readonly header: string; readonly parse: string; readonly sources: readonly string[]; readonly libraries?: readonly string[] };
}

const ROOT = repoRoot();
const FILTERS_DIR = 'data-plane/filters';
const ROWS: readonly KindRow[] = (JSON.parse(fs.readFileSync(path.join(ROOT, FILTERS_DIR, 'kinds.json'), 'utf8')) as { filters: KindRow[] }).filters;
const shortName = (row: KindRow): string => row.name.slice(row.name.lastIndexOf('.') + 1);

/** Wholly generated from the table (scripts/gen-filter-kinds.js). */
const GENERATED = ['native/engine/filter_kinds.h', 'native/engine/filters.gypi', `${FILTERS_DIR}/kinds.ts`, `${FILTERS_DIR}/index.ts`];
/** Hand-written, with one generated section between these markers. */
const SECTION_BEGIN = '<!-- Generated from data-plane/filters/kinds.json by scripts/gen-filter-kinds.js: do not edit. -->';
const SECTION_END = '<!-- end of generated section -->';
/** The table itself, its generator and this test. */
const TABLE_FILES = [`${FILTERS_DIR}/kinds.json`, 'scripts/gen-filter-kinds.js', `${FILTERS_DIR}/contract.test.ts`];
const SKIP_DIRS = new Set(['.git', 'node_modules', 'dist', 'build', '.cache']);
const SCANNED = /\.(ts|js|cc|h|c|md|gyp|gypi|sh|yaml|json)$/;

/** Every scanned source file of the checkout, relative to the root, in POSIX form. */
function sourceFiles(dir = ''): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) || rel === 'native/build' ? [] : sourceFiles(rel);
    return e.isFile() && SCANNED.test(e.name) ? [rel] : [];
  });
}

/** The text of a file without its generated section, if it has one. */
function handWritten(rel: string): string {
  const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
  const begin = text.indexOf(SECTION_BEGIN);
  const end = text.indexOf(SECTION_END);
  return begin >= 0 && end > begin ? text.slice(0, begin) + text.slice(end) : text;
}

const KINDS = new Set(ROWS.map((r) => r.kind));
const SHORT_NAMES = ROWS.map(shortName).join('|');
/** Ways a kind number gets spelt by hand: `kind: 7`, a kind table row, a kind byte before a slot, a commented kind byte. */
const KIND_SPELLINGS: readonly RegExp[] = [
  /\bkind\b["']?\s*[:=]\s*(\d+)/g,
  new RegExp(`^\\|\\s*(\\d+)\\s*\\|\\s*(?:${SHORT_NAMES})\\s*\\|`, 'gm'),
  /\.u8\((\d+)\)\.u32\(/g,
  new RegExp(`\\bu8\\((\\d+)\\);\\s*//\\s*(?:${SHORT_NAMES})\\b`, 'g'),
  /filter_header\(\s*\w+\s*,\s*(\d+)\s*,/g,
];

function factoryOf(row: KindRow, registry: FilterRegistry): FilterFactory {
  // Compiled modules sit beside this test in dist/, in the same folder layout as the sources.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module path comes from the table
  const mod = require(path.join(__dirname, row.folder, row.folder)) as Record<string, unknown>;
  const exported = mod[row.factory];
  const factory = row.factoryTakesRegistry ? (exported as (r: FilterRegistry) => FilterFactory)(registry) : exported;
  return factory as FilterFactory;
}

describe('filter contract (kinds.json)', () => {
  for (const row of ROWS) {
    describe(row.folder, () => {
      const dir = path.join(ROOT, FILTERS_DIR, row.folder);
      it('has its folder with implementation, docs, own vectors and native code', () => {
        for (const file of [`${row.folder}.ts`, `${row.folder}.test.ts`, 'README.md', 'cases.yaml', row.native.header, ...row.native.sources]) {
          expect(fs.existsSync(path.join(dir, file)), `${FILTERS_DIR}/${row.folder}/${file}`).to.equal(true);
        }
      });

      it('declares the parse function the kind table names', () => {
        const native = [row.native.header, ...row.native.sources].map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
        expect(native).to.match(new RegExp(`\\b${row.native.parse}\\(\\s*engine::ParseEnv&`));
      });

      it('exports a factory of that name with a native encoder, registered with its kind', () => {
        const registry = filterRegistry();
        const factory = factoryOf(row, registry);
        expect(factory.name).to.equal(row.name);
        expect(factory.native?.encode).to.be.a('function');
        expect(registry.find(row.name)?.native?.encode).to.be.a('function');
        expect(FILTER_KINDS.get(row.name)).to.equal(row.kind);
      });
    });
  }

  it('registers exactly the table, in its order', () => {
    expect(filterRegistry().names()).to.deep.equal(ROWS.map((r) => r.name));
  });

  it('has a row for every filter folder', () => {
    const folders = fs
      .readdirSync(path.join(ROOT, FILTERS_DIR), { withFileTypes: true })
      .filter((e) => e.isDirectory() && fs.existsSync(path.join(ROOT, FILTERS_DIR, e.name, `${e.name}.ts`)))
      .map((e) => e.name)
      .sort();
    expect(folders).to.deep.equal(ROWS.map((r) => r.folder).sort());
  });

  it('has its generated files up to date', () => {
    const run = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-filter-kinds.js'), '--check'], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).to.equal(0);
  });

  it('is the only place naming a kind number or a filter encoder', () => {
    const owned = (rel: string) => ROWS.some((r) => rel.startsWith(`${FILTERS_DIR}/${r.folder}/`)) || GENERATED.includes(rel) || TABLE_FILES.includes(rel);
    const offences: string[] = [];
    for (const rel of sourceFiles()) {
      if (owned(rel)) continue;
      const text = handWritten(rel);
      for (const spelling of KIND_SPELLINGS) {
        for (const m of text.matchAll(spelling)) {
          if (KINDS.has(Number(m[1]))) offences.push(`${rel}: kind number in \`${m[0].trim()}\``);
        }
      }
      if (/filter-encoders/.test(text)) offences.push(`${rel}: names the removed central encoder table`);
      for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"][./]*(?:data-plane\/)?filters\/([a-z_]+)\/[^'"]*['"]/g)) {
        if (ROWS.some((r) => r.folder === m[2]) && /encode|native/i.test(m[1])) offences.push(`${rel}: imports \`${m[1].trim()}\` from filter ${m[2]}`);
      }
      if (rel !== 'data-plane/compiler/description.ts' && /\.native\??\.encode\b/.test(text))
        offences.push(`${rel}: calls a filter's encoder (only the compiler does)`);
    }
    expect(offences).to.deep.equal([]);
  });

  it('spots a kind number spelt by hand (the scan is not vacuous)', () => {
    const samples = ['{ kind: 7, encode }', '| 9 | Pass | — |', 'w.u8(11).u32(slot)', 'chain.u8(2);   // Concatenate', 'filter_header(chain, 8, 1);'];
    samples.forEach((sample, i) => expect([...sample.matchAll(KIND_SPELLINGS[i])].map((m) => Number(m[1]))).to.have.length(1));
  });
});
