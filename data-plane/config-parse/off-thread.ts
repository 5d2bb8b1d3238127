// SPDX-License-Identifier: Apache-2.0
// Config text -> validated Config without blocking the event loop: small texts are parsed inline
// (a process costs more than they do), large ones in a child process of their own, whose memory
// the system gets back when it exits.
import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { Validated } from '../../config/issues';
import type { ClusterConfig, Config } from '../../config/model';
import { parseConfigText } from '../../config/parse';
import { filterRegistry } from '../filters/index';

/** Above this many bytes a config is parsed in a child process (100k endpoints are ~10 MB). */
export const OFF_THREAD_BYTES = 256 * 1024;
/** A parse that takes longer than this is abandoned (the process is killed) and reported. */
export const PARSE_TIMEOUT_MS = 120_000;

/** Tokens may come back as plain Uint8Arrays: give them their Buffer type back (no copy). */
function revive(config: Config): Config {
  const clusters: ClusterConfig[] = config.clusters.map((c) => ({
    ...c,
    endpoints: c.endpoints.map((e) => ({
      ...e,
      tokens: e.tokens.map((t: Uint8Array) => (Buffer.isBuffer(t) ? t : Buffer.from(t.buffer, t.byteOffset, t.byteLength))),
    })),
  }));
  return { ...config, clusters };
}

function parseInChild(text: string, timeoutMs: number): Promise<Validated<Config>> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    // No inherited execArgv (an --inspect port would clash); stderr kept for the error message.
    const child = fork(path.join(__dirname, 'child.js'), [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() => reject(new Error(`parsing the config took longer than ${timeoutMs / 1000} s; abandoned`)));
    }, timeoutMs);
    child.once('message', (result: Validated<Config>) => settle(() => resolve(result.ok ? { ok: true, value: revive(result.value) } : result)));
    child.once('error', (err) => settle(() => reject(new Error(`the config parser process failed: ${err.message}`))));
    child.once('exit', (code, signal) =>
      settle(() =>
        reject(
          new Error(
            `the config parser process ended (${signal ?? `exit code ${code}`}) without a result${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`,
          ),
        ),
      ),
    );
    child.send(text, (err) => {
      if (err) {
        child.kill('SIGKILL');
        settle(() => reject(new Error(`could not hand the config to its parser process: ${err.message}`)));
      }
    });
  });
}

/** The parser for file reloads; inline and in the child process it validates with the production filter registry. */
export function offThreadParser(thresholdBytes = OFF_THREAD_BYTES, timeoutMs = PARSE_TIMEOUT_MS): (text: string) => Promise<Validated<Config>> {
  return async (text) => (Buffer.byteLength(text) > thresholdBytes ? parseInChild(text, timeoutMs) : parseConfigText(text, filterRegistry()));
}
