// SPDX-License-Identifier: Apache-2.0
// The XDP program's in-kernel fast path as a conformance implementation: the chain is lowered to
// map data (data-plane/compiler/lower.ts), written into the committed object's maps and each
// packet runs through the real program with BPF_PROG_RUN (bpf/tests/fast_run.c). Chains that do
// not lower, and packets the program hands to the AF_XDP tier mid-chain, are reported pending.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { XDP_MAP_NAMES, XDP_OBJECTS } from '../../bpf/abi';
import { bpfUnavailableReason } from '../../bpf/tests/bpf-available';
import { encodeConfig } from '../support/bpf-abi-codec';
import { lowerChain } from '../../data-plane/compiler/lower';
import { filterRegistry } from '../../data-plane/filters/index';
import { repoRoot } from '../support/repo';
import { FastChainRunner, PROXY } from './bpf/fast-chain';
import { buildDriver, FastRunDriver } from './bpf/fast-run-driver';
import type { ChainRunner, ChainSetup, Implementation } from './implementations';
import { normaliseFilters } from './native-implementation';
import { typescriptImplementation } from './typescript-implementation';

/** The one driver, or why it could not start (remembered: a retry per case would load the
 * object hundreds of times over only to fail the same way). */
let driver: FastRunDriver | Error | undefined;
let chains = 0;

function objectPath(): string {
  return path.join(repoRoot(), XDP_OBJECTS.redirect);
}

function toolOrThrow(): string {
  const { tool, error } = buildDriver(repoRoot());
  if (!tool) throw new Error(`building bpf/tests/fast_run: ${error}`);
  return tool;
}

/** One driver for the whole run (loading the object costs more than a case). */
function sharedDriver(): FastRunDriver {
  if (!driver) {
    try {
      const started = FastRunDriver.start(toolOrThrow(), objectPath());
      process.once('exit', () => started.close());
      started.writeEntry(XDP_MAP_NAMES.config, Buffer.alloc(4), encodeConfig({ ...PROXY, qcmpPort: 0, enabled: true, matchLocalAddr: false }));
      driver = started;
    } catch (err) {
      driver = err as Error;
    }
  }
  if (driver instanceof Error) throw driver;
  return driver;
}

/** The object's map names, read without loading it (no privilege needed). */
function objectMaps(): string[] {
  const out = spawnSync(toolOrThrow(), [objectPath(), '--maps'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`fast_run --maps: ${out.stderr}`);
  return out.stdout.trim().split(',');
}

function unavailable(): string | undefined {
  let why: string | undefined;
  try {
    why = bpfUnavailableReason();
  } catch {
    // bpftool missing is no reason to skip: running the driver shows what is wrong.
  }
  if (why) return why;
  if (!fs.existsSync(objectPath())) return `${XDP_OBJECTS.redirect} is missing (bash bpf/build.sh)`;
  // A driver that does not build is a failure, not a reason to skip: createChain throws it.
  if (!buildDriver(repoRoot()).tool) return undefined;
  if (!objectMaps().includes(XDP_MAP_NAMES.fastCtl)) return `fast path not in the object (no ${XDP_MAP_NAMES.fastCtl} map in ${XDP_OBJECTS.redirect})`;
  return undefined;
}

function createChain(setup: ChainSetup): ChainRunner | string {
  const lowering = lowerChain(normaliseFilters(setup.filters), setup.clusters, filterRegistry());
  if (!lowering.lowerable) return `not lowerable: ${lowering.reason}`;
  // Alternate banks, so both halves of every map's keying are exercised.
  const bank = (chains++ % 2) as 0 | 1;
  return new FastChainRunner(sharedDriver(), lowering.chain, bank, BigInt(chains));
}

/** What docs/xdp.md ("The in-kernel fast path") says the kernel does not run; tier 1 serves it. */
const DOCUMENTED_DECLINES: readonly RegExp[] = [
  /\(quilkin\.filters\.(compress|debug|timestamp|local_rate_limit)\.v1alpha1\.\w+\): not lowerable: /,
  /\(quilkin\.filters\.capture\.v1alpha1\.Capture\): not lowerable: (regex: |Capture after Concatenate|(prefix|suffix)\.size: \d+ bytes, more than)/,
  /\(quilkin\.filters\.match\.v1alpha1\.Match\): not lowerable: on_(read|write)\.branches\[\d+\]\.value: a (Number|List);/,
  /^not lowerable: endpoint \S+: an empty token/,
  /^step \d+: metadata `[^`]+` is a (number|list) \(the fast path holds bytes, strings and bools\)$/,
  /^step \d+: handed to the AF_XDP tier before the chain (ran|finished) \((no_session: the workers keep cross-family sessions|lb_ipv6_hash)/,
];

export const bpfImplementation: Implementation = {
  name: 'bpf',
  documentedDeclines: DOCUMENTED_DECLINES,
  unavailable,
  // The same registry validation as every implementation: lowering never narrows what is valid.
  validateChain: (filters) => typescriptImplementation.validateChain(filters),
  createChain,
};
