// SPDX-License-Identifier: Apache-2.0
// Hot reload: watch a config file and hand every valid new version to the caller. A bad moment
// of the file (truncated, half written, empty, vanished) never replaces the last good config.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, type Validated } from './issues';
import type { Config, FilterConfigValidator } from './model';
import { parseConfigText } from './parse';

export interface ConfigFileWatcher {
  close(): void;
}

export interface WatchHandlers {
  /** A new, valid version of the file. */
  onConfig(config: Config): void;
  /** The file changed but is invalid, empty or gone; the caller keeps its last good config. */
  onInvalid(error: Error): void;
}

export interface WatchTiming {
  /** Quiet time after the last event before reading (Quilkin waits 50 ms). */
  readonly debounceMs: number;
  /** The file must read the same twice this far apart before it is parsed. */
  readonly settleMs: number;
  /** An empty file is re-read for this long before it is rejected: editors truncate, then write. */
  readonly emptyGraceMs: number;
  /** Reads before giving up on a file that keeps changing (then the last read is judged). */
  readonly maxReads: number;
}

/** Turns file text into a validated config; may work off the event loop (large files). */
export type ConfigTextParser = (text: string) => Validated<Config> | Promise<Validated<Config>>;

export const DEFAULT_WATCH_TIMING: WatchTiming = { debounceMs: 50, settleMs: 25, emptyGraceMs: 500, maxReads: 40 };

/** Most symlink hops followed (Linux's own limit is 40). */
const MAX_HOPS = 40;

/** Whitespace, comments and document markers only: YAML that says nothing at all. */
export function isBlankYaml(text: string): boolean {
  return text.split('\n').every((line) => /^\s*(#.*)?$/.test(line) || /^(---|\.\.\.)\s*(#.*)?$/.test(line));
}

/** The path and every symlink it goes through, in order; the last entry is the final target. */
function symlinkChain(file: string): string[] {
  const chain = [file];
  let current = file;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    let link: string;
    try {
      link = fs.readlinkSync(current);
    } catch {
      break; // not a symlink (or gone): current is the end of the chain
    }
    current = path.resolve(path.dirname(current), link);
    chain.push(current);
  }
  try {
    chain.push(fs.realpathSync(file)); // directory symlinks on the way (ConfigMap `..data`)
  } catch {
    // dangling: the chain so far is what can be watched
  }
  return chain;
}

/**
 * Watches the directories of the file, of every symlink hop and of the final target, so that
 * write-temp-then-rename updates, in-place edits of a symlinked target in another directory and
 * Kubernetes ConfigMap `..data` swaps are all seen (Quilkin only reacts to in-place writes). The
 * chain is re-resolved after every change. Identical content is ignored.
 */
export function watchConfigFile(
  file: string,
  validator: FilterConfigValidator,
  handlers: WatchHandlers,
  timing: Partial<WatchTiming> = {},
  parse: ConfigTextParser = (text) => parseConfigText(text, validator),
): ConfigFileWatcher {
  const t = { ...DEFAULT_WATCH_TIMING, ...timing };
  /** Numbers each parse, so a slow (off-thread) parse of an older version is never applied after a newer one. */
  let parses = 0;
  const absolute = path.resolve(file);
  let lastText = safeRead(absolute);
  let missingReported = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const watchers = new Map<string, fs.FSWatcher>();
  let names = new Set<string>();

  const schedule = (delay: number, step: () => void): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(step, delay);
  };

  const rewatch = (): void => {
    const chain = symlinkChain(absolute);
    names = new Set(chain.map((p) => path.basename(p)));
    const dirs = new Set(chain.map((p) => path.dirname(p)));
    for (const [dir, w] of watchers) {
      if (dirs.has(dir)) continue;
      w.close();
      watchers.delete(dir);
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      try {
        const w = fs.watch(dir, { persistent: false }, (_event, name) => {
          // Kubernetes ConfigMap volumes swap a `..data` symlink; treat any change there as ours too.
          if (name !== null && !names.has(String(name)) && !String(name).startsWith('..')) return;
          schedule(t.debounceMs, () => settle(undefined, 1, 0));
        });
        w.on('error', () => undefined); // a watched directory removed: the next rewatch drops it
        watchers.set(dir, w);
      } catch {
        // The directory does not exist (dangling chain); watched again once it resolves.
      }
    }
  };

  const judge = (text: string): void => {
    if (text === lastText) return;
    lastText = text;
    if (isBlankYaml(text)) {
      return handlers.onInvalid(new Error(`config file ${absolute} is empty; keeping the last good config (to run with no endpoints, write \`clusters: []\`)`));
    }
    const seq = ++parses;
    const current = (): boolean => !closed && seq === parses;
    const deliver = (result: Validated<Config>): void => {
      if (!current()) return;
      if (result.ok) handlers.onConfig(result.value);
      else handlers.onInvalid(new ConfigError(result.issues, absolute));
    };
    const failed = (err: Error): void => {
      if (!current()) return;
      lastText = undefined; // judge the same text again on its next event
      handlers.onInvalid(new Error(`config file ${absolute} could not be parsed: ${err.message}`));
    };
    try {
      const parsed = parse(text);
      if (parsed instanceof Promise) parsed.then(deliver, failed);
      else deliver(parsed);
    } catch (err) {
      failed(err as Error);
    }
  };

  /** Reads until two reads `settleMs` apart agree, then judges; an empty file gets a grace period. */
  const settle = (previous: string | undefined, reads: number, emptyWaitedMs: number): void => {
    timer = undefined;
    rewatch();
    let text: string;
    try {
      text = fs.readFileSync(absolute, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return handlers.onInvalid(new Error(`failed to read ${absolute}: ${(err as Error).message}`));
      // A rename in progress leaves the path missing for a moment: look again before reporting.
      if (reads < 3) return schedule(t.settleMs, () => settle(undefined, reads + 1, emptyWaitedMs));
      if (!missingReported) {
        missingReported = true;
        handlers.onInvalid(new Error(`config file ${absolute} is missing (deleted, or a dangling symlink); keeping the last good config`));
      }
      lastText = undefined;
      return;
    }
    missingReported = false;
    const stable = text === previous;
    if (!stable && reads < t.maxReads) return schedule(t.settleMs, () => settle(text, reads + 1, emptyWaitedMs));
    if (isBlankYaml(text) && text !== lastText && emptyWaitedMs < t.emptyGraceMs && reads < t.maxReads) {
      return schedule(t.settleMs, () => settle(text, reads + 1, emptyWaitedMs + t.settleMs));
    }
    judge(text);
  };

  rewatch();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

function safeRead(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
