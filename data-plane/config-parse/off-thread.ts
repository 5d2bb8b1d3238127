// SPDX-License-Identifier: Apache-2.0
// Config text -> validated Config without blocking the event loop: small texts are parsed inline
// (a thread costs more than they do), large ones in a worker thread of their own.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Validated } from '../../config/issues';
import type { ClusterConfig, Config } from '../../config/model';
import { parseConfigText } from '../../config/parse';
import { filterRegistry } from '../filters/index';

/** Above this many bytes a config is parsed in a worker thread (100k endpoints are ~10 MB). */
export const OFF_THREAD_BYTES = 256 * 1024;
/** A parse that takes longer than this is abandoned (the thread is terminated) and reported. */
export const PARSE_TIMEOUT_MS = 120_000;

/** Structured clone turns Buffers into plain Uint8Arrays: give the tokens their Buffer back (no copy). */
function revive(config: Config): Config {
  const clusters: ClusterConfig[] = config.clusters.map((c) => ({
    ...c,
    endpoints: c.endpoints.map((e) => ({ ...e, tokens: e.tokens.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength)) })),
  }));
  return { ...config, clusters };
}

function parseInWorker(text: string, timeoutMs: number): Promise<Validated<Config>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: { text } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`parsing the config took longer than ${timeoutMs / 1000} s; abandoned`));
    }, timeoutMs);
    worker.once('message', (result: Validated<Config>) => {
      clearTimeout(timer);
      resolve(result.ok ? { ok: true, value: revive(result.value) } : result);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`the config parser thread exited with code ${code}`));
    });
  });
}

/** The parser for file reloads; inline and in the worker it validates with the production filter registry. */
export function offThreadParser(thresholdBytes = OFF_THREAD_BYTES, timeoutMs = PARSE_TIMEOUT_MS): (text: string) => Promise<Validated<Config>> {
  return async (text) => (Buffer.byteLength(text) > thresholdBytes ? parseInWorker(text, timeoutMs) : parseConfigText(text, filterRegistry()));
}
