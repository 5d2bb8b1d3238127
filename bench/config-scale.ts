// SPDX-License-Identifier: Apache-2.0
// What a config of N endpoints (one token each) costs to reload: the YAML parse and validation in
// a child process (wall time, and the longest stall it leaves on the main event loop), then what
// still runs on the loop (store merge and comparison, compile, native engine prepare), and memory.
// Usage: node dist/bench/config-scale.js [N ...]   (default 1000 10000 100000)
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ConfigStore } from '../config/store';
import { offThreadParser } from '../data-plane/config-parse/off-thread';
import { ClusterMap } from '../data-plane/cluster-map';
import { compile } from '../data-plane/compiler/compile';
import { filterRegistry } from '../data-plane/filters/index';
import { loadEngine } from '../native/engine/engine-addon';

const REVERT_IDLE_MS = 5_000;

function configText(endpoints: number): string {
  const lines = [
    'version: v1alpha1',
    'filters:',
    '  - name: quilkin.filters.capture.v1alpha1.Capture',
    '    config: { suffix: { size: 3, remove: true } }',
    '  - name: quilkin.filters.token_router.v1alpha1.TokenRouter',
    'clusters:',
    '  - endpoints:',
  ];
  for (let i = 0; i < endpoints; i++) {
    lines.push(
      `      - address: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:7000`,
      `        metadata: { quilkin.dev: { tokens: [${Buffer.from(`t${i}`).toString('base64')}] } }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface Loaded {
  readonly fileMb: number;
  readonly parseMs: number;
  readonly stallMs: number;
  readonly onLoopMs: number;
}

/** Parses and applies an N-endpoint file; returns only figures, so nothing of it stays reachable. */
async function load(store: ConfigStore<number>, endpoints: number): Promise<Loaded> {
  const text = configText(endpoints);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let started = performance.now();
  const parsed = await offThreadParser()(text);
  const parseMs = performance.now() - started;
  loop.disable();
  if (!parsed.ok) throw new Error(`generated config invalid: ${parsed.issues[0]?.message}`);
  started = performance.now();
  store.apply({ filters: parsed.value.filters, clusters: parsed.value.clusters, replaceClusters: true }, 'bench');
  return { fileMb: text.length / 1e6, parseMs, stallMs: loop.max / 1e6, onLoopMs: performance.now() - started };
}

async function measure(endpoints: number): Promise<string> {
  const engineAddon = loadEngine().engine;
  if (!engineAddon) throw new Error('native addon not built (npm run build:native)');
  const engine = new engineAddon.Engine(2);
  const registry = filterRegistry();
  const store = new ConfigStore<number>(undefined, {
    initialCompiled: 0,
    compile: (config) => {
      const compiled = compile(config, { registry, names: { address: () => undefined } });
      new ClusterMap(compiled.clusters); // what the js backend builds; the native backends build the description
      engine.publish(engine.prepare(compiled.nativeChain().description));
      return compiled.clusters.length;
    },
  });
  const big = await load(store, endpoints);
  const rssMb = process.memoryUsage().rss / 1e6;
  // Revert to a one-endpoint file and leave the process idle, as a proxy between reloads is.
  // With --expose-gc a full collection runs first (V8 would run one once it sees the heap idle).
  await load(store, 1);
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, REVERT_IDLE_MS));
  const revertedMb = process.memoryUsage().rss / 1e6;
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  return `| ${endpoints} | ${big.fileMb.toFixed(1)} MB | ${ms(big.parseMs)} | ${ms(big.stallMs)} | ${ms(big.onLoopMs)} | ${rssMb.toFixed(0)} MB | ${revertedMb.toFixed(0)} MB |`;
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number);
  console.log(
    '| endpoints | file | parse (child process) | longest loop stall during it | merge + compile + prepare (on the loop) | RSS after | RSS after reverting to 1 |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const n of sizes.length > 0 ? sizes : [1000, 10_000, 100_000]) console.log(await measure(n));
}

void main();
