// SPDX-License-Identifier: Apache-2.0
// Sizes and seeds of the fuzz and soak suite (issue 17 item 6). Two profiles:
//   ci   (default, part of `npm test`): a fixed seed, so CI is deterministic, and short runs;
//   soak (`npm run soak`, FUZZ_PROFILE=soak): a random seed unless FUZZ_SEED is set, >= 1M packets
//        per backend, >= 10k mutated configs and resources, a 60 s spray soak.
// FUZZ_SEED=<n> replays a run; FUZZ_CASES=<n> overrides the case count of the test being run. Every
// fuzz test prints its seed and count, and a failure names the command line that replays it.
import { randomInt } from 'node:crypto';

export type FuzzProfile = 'ci' | 'soak';

export const PROFILE: FuzzProfile = process.env.FUZZ_PROFILE === 'soak' ? 'soak' : 'ci';

/** The CI seed: any fixed value; changing it changes what CI explores. */
export const CI_SEED = 0x17f0de;

function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0 || n > 0x7fffffff) throw new Error(`FUZZ_SEED must be an integer 0..2147483647, got ${text}`);
  return n;
}

/** The run's seed: FUZZ_SEED, else the fixed CI seed, else (soak) a random one. One per process. */
export const FUZZ_SEED: number = parseSeed(process.env.FUZZ_SEED) ?? (PROFILE === 'soak' ? randomInt(1, 0x7fffffff) : CI_SEED);

/** A seed for one test, derived from the run's seed and the test's name (independent streams). */
export function seedFor(name: string): number {
  let h = FUZZ_SEED >>> 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h ^ name.charCodeAt(i), 0x01000193) + 0x9e3779b9) >>> 0;
  return h & 0x7fffffff || 1;
}

/** A count: FUZZ_CASES when set, else the profile's size. */
export function sized(ci: number, soak: number, env = 'FUZZ_CASES'): number {
  const set = process.env[env];
  if (set !== undefined && set !== '') {
    const n = Number(set);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${env} must be a positive integer, got ${set}`);
    return n;
  }
  return PROFILE === 'soak' ? soak : ci;
}

/** Seconds (or any duration) by profile; FUZZ_SOAK_SECONDS overrides for the soak tests. */
export function duration(ci: number, soak: number): number {
  const set = Number(process.env.FUZZ_SOAK_SECONDS ?? '');
  return Number.isFinite(set) && set > 0 ? set : PROFILE === 'soak' ? soak : ci;
}

/** The command that replays a test file with this run's seed and count. */
export function replayHint(file: string, cases: number): string {
  const rel = file.replace(/^.*?(dist\/)/, '$1');
  return `replay: FUZZ_SEED=${FUZZ_SEED} FUZZ_CASES=${cases} FUZZ_PROFILE=${PROFILE} npx mocha --no-config --exit --timeout 600000 ${rel}`;
}

/** Prints what a fuzz test is about to run. */
export function announce(name: string, cases: number, unit = 'cases'): void {
  console.log(`  [fuzz] ${name}: profile ${PROFILE}, FUZZ_SEED=${FUZZ_SEED}, ${cases} ${unit}`);
}

/** Runs `body`; a failure's message gains the replay command line. */
export async function withReplay<T>(file: string, cases: number, body: () => T | Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof Error) {
      err.message = `${err.message}\n  ${replayHint(file, cases)}`;
      throw err;
    }
    throw new Error(`${String(err)}\n  ${replayHint(file, cases)}`, { cause: err });
  }
}

/** Same as withReplay, for synchronous bodies. */
export function withReplaySync<T>(file: string, cases: number, body: () => T): T {
  try {
    return body();
  } catch (err) {
    if (err instanceof Error) {
      err.message = `${err.message}\n  ${replayHint(file, cases)}`;
      throw err;
    }
    throw new Error(`${String(err)}\n  ${replayHint(file, cases)}`, { cause: err });
  }
}

/** A small deterministic PRNG (mulberry32) for mutation loops that need speed over fast-check's shrinking. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
