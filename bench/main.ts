// SPDX-License-Identifier: Apache-2.0
// `npm run bench`: builds the topology, runs every subject side by side, writes the raw
// JSON, an SVG chart and docs/benchmarks.md, and tears everything down, also on failure
// or Ctrl-C. Options:
//   --profile full|quick|smoke  full (default): every subject, 3 repetitions; quick: one
//                          repetition of shorter runs (development); smoke: one short
//                          kernel-forwarding scenario (used by the test suite)
//   --subjects a,b         only these subject ids
//   --prefix P --octet N   namespace/veth prefix and the 10.N.x.x addresses (qkb, 201)
//   --out DIR              where results go (default bench/results)
//   --no-docs              do not rewrite docs/benchmarks.md
//   --rate PPS             every flood at this offered rate, no search for the best one
//                          (compares subjects or chains at one load; implies --no-docs)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBench, type BenchOptions, type BenchResults } from './lib/bench';
import { mainTable } from './lib/report';
import type { Profile } from './lib/runner';
import { SUBJECTS } from './lib/subjects';

const PROFILES: Record<string, Profile> = {
  full: {
    name: 'full',
    reps: 3,
    floodSeconds: 0.15,
    stepSeconds: 0.12,
    budgetSeconds: 540,
    echoSeconds: 0.25,
    latencySeconds: 10,
    latencyReps: 1,
    latencyRate: 2000,
    costSeconds: 2.5,
    sessions: [1, 1000, 10000, 100000],
    spread: true,
    chains: [0, 3, 8],
    subjects: SUBJECTS.map((s) => s.id),
  },
  quick: {
    name: 'quick',
    reps: 1,
    floodSeconds: 0.3,
    stepSeconds: 0.25,
    budgetSeconds: 600,
    echoSeconds: 0.3,
    latencySeconds: 0.3,
    latencyReps: 1,
    latencyRate: 5000,
    costSeconds: 1,
    sessions: [1, 1000, 100000],
    spread: true,
    chains: [0, 3, 8],
    subjects: SUBJECTS.map((s) => s.id),
  },
  smoke: {
    name: 'smoke',
    reps: 1,
    floodSeconds: 0.2,
    stepSeconds: 0.2,
    budgetSeconds: 60,
    echoSeconds: 0.2,
    latencySeconds: 0.2,
    latencyReps: 1,
    latencyRate: 2000,
    costSeconds: 0,
    sessions: [1],
    spread: false,
    chains: [0],
    subjects: ['kernel'],
  },
};

function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

function parseArgs(argv: string[]): BenchOptions {
  const root = repoRoot();
  const opts: BenchOptions = {
    root,
    profile: PROFILES.full,
    prefix: 'qkb',
    octet: 201,
    outDir: path.join(root, 'bench', 'results'),
    docs: path.join(root, 'docs', 'benchmarks.md'),
    command:
      process.env.npm_lifecycle_event === 'bench'
        ? `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`
        : `node ${path.relative(root, process.argv[1])} ${argv.join(' ')}`.trim(),
  };
  let fixedRate: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const value = (): string => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case '--profile': {
        const name = value();
        if (!PROFILES[name]) throw new Error(`unknown profile ${name}: full or smoke`);
        opts.profile = { ...PROFILES[name] };
        if (name !== 'full') opts.docs = null;
        break;
      }
      case '--subjects':
        opts.profile = { ...opts.profile, subjects: value().split(',') };
        break;
      case '--prefix':
        opts.prefix = value();
        break;
      case '--octet':
        opts.octet = Number(value());
        break;
      case '--out':
        opts.outDir = path.resolve(value());
        break;
      case '--no-docs':
        opts.docs = null;
        break;
      case '--rate': {
        const rate = Number(value());
        if (!Number.isInteger(rate) || rate <= 0) throw new Error(`--rate needs a positive whole number of packets per second`);
        fixedRate = rate;
        break;
      }
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (fixedRate) {
    opts.profile = { ...opts.profile, fixedRate };
    opts.docs = null; // docs/benchmarks.md describes the searched rate
  }
  const unknown = opts.profile.subjects.filter((id) => !SUBJECTS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`unknown subject(s) ${unknown.join(', ')}: ${SUBJECTS.map((s) => s.id).join(', ')}`);
  return opts;
}

async function main(): Promise<void> {
  if (os.platform() !== 'linux' || process.getuid?.() !== 0) throw new Error('the benchmark needs Linux and root (network namespaces, XDP)');
  const opts = parseArgs(process.argv.slice(2));
  const file = await runBench(opts, (line) => process.stderr.write(`bench: ${line}\n`));
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults;
  process.stdout.write(`${mainTable(results.subjects, results.meta.profile.latencyRate)}\n`);
  process.stderr.write(`bench: results in ${file}${opts.docs ? ` and ${path.relative(opts.root, opts.docs)}` : ''}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
