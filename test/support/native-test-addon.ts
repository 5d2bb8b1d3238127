// SPDX-License-Identifier: Apache-2.0
// The test-only addon, quilkin_native_test.node (built by `npm run build:native` beside the
// product addon): the engine's test entry points, which the product addon does not export.
// QUILKIN_NATIVE_TEST_ADDON selects another build flavour (scripts/build-native-asan.sh).
import { addonPath } from '../../native/index';
import type { EngineCounters } from '../../native/engine/engine-addon';

export interface NativeTestChain {
  /** Runs `count` encoded steps (test/conformance/native-implementation.ts) and returns their results. */
  run(steps: Buffer, count: number): Buffer;
  /** Every verdict this chain's worker counted. */
  counters(): EngineCounters;
}

/** native/engine/binding_test.cc */
export interface TestEngineAddon {
  readonly TestChain: new (description: Buffer, seed: number) => NativeTestChain;
  /** Many cases, each on a fresh engine (format in native/engine/test_entry.cc). */
  runTestBatch(batch: Buffer): Buffer;
}

let cached: { engine?: TestEngineAddon; error?: Error } | undefined;

/** Loads the test addon once; returns the reason it could not be loaded instead of throwing. */
export function loadTestEngine(): { engine?: TestEngineAddon; error?: Error } {
  if (!cached) {
    try {
      const file = addonPath('quilkin_native_test.node', process.env.QUILKIN_NATIVE_TEST_ADDON);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = { engine: (require(file) as { engine: TestEngineAddon }).engine };
    } catch (err) {
      cached = { error: err as Error };
    }
  }
  return cached;
}
