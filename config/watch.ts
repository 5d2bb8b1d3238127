// SPDX-License-Identifier: Apache-2.0
// Hot reload: watch a config file and hand every valid new version to the caller.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from './issues';
import type { Config, FilterConfigValidator } from './model';
import { parseConfigText } from './parse';

export interface ConfigFileWatcher {
  close(): void;
}

export interface WatchHandlers {
  /** A new, valid version of the file. */
  onConfig(config: Config): void;
  /** The file changed but is invalid or unreadable; the caller keeps its last good config. */
  onInvalid(error: Error): void;
}

/**
 * Watches the file's directory rather than the file itself, so editors' and Kubernetes'
 * write-temp-then-rename updates are seen too (Quilkin only reacts to in-place writes).
 * Changes are debounced by `delayMs` (Quilkin waits 50 ms) and identical content is ignored.
 */
export function watchConfigFile(file: string, validator: FilterConfigValidator, handlers: WatchHandlers, delayMs = 50): ConfigFileWatcher {
  const absolute = path.resolve(file);
  const dir = path.dirname(absolute);
  const base = path.basename(absolute);
  let lastText = safeRead(absolute);
  let timer: NodeJS.Timeout | undefined;

  const reload = (): void => {
    timer = undefined;
    let text: string;
    try {
      text = fs.readFileSync(absolute, 'utf8');
    } catch (err) {
      // A rename in progress can leave the path missing for a moment; the next event retries.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      return handlers.onInvalid(new Error(`failed to read ${absolute}: ${(err as Error).message}`));
    }
    if (text === lastText) return;
    lastText = text;
    const result = parseConfigText(text, validator);
    if (result.ok) handlers.onConfig(result.value);
    else handlers.onInvalid(new ConfigError(result.issues, absolute));
  };

  const watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
    // Kubernetes ConfigMap volumes swap a `..data` symlink; treat any change there as ours too.
    if (name !== null && name !== base && !String(name).startsWith('..')) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, delayMs);
  });
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
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
