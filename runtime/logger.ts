// SPDX-License-Identifier: Apache-2.0
// One pino root logger; modules take a named child.
import pino, { type Logger } from 'pino';

export type LogFormat = 'auto' | 'json' | 'plain' | 'pretty';

let root: Logger = pino({ level: process.env.QUILKIN_LOG_LEVEL ?? 'info', base: { pid: process.pid } });
let generation = 0;

/** Reconfigures the root logger (called once by the CLI before anything logs). */
export function configureLogging(options: { format: LogFormat; quiet: boolean; level?: string }): Logger {
  const level = options.quiet ? 'silent' : (options.level ?? process.env.QUILKIN_LOG_LEVEL ?? 'info');
  const human = options.format === 'plain' || options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true);
  root = human
    ? pino({
        level,
        transport: { target: 'pino-pretty', options: { colorize: options.format !== 'plain', destination: 1, ignore: 'pid,hostname' } },
      })
    : pino({ level, base: { pid: process.pid } });
  generation++;
  return root;
}

export function rootLogger(): Logger {
  return root;
}

type LogFn = (fields: Record<string, unknown> | string, message?: string) => void;

export interface ModuleLogger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  isLevelEnabled(level: string): boolean;
}

/** A logger named after its module; it follows configureLogging even if taken at import time. */
export function logger(module: string): ModuleLogger {
  let child = root.child({ module });
  let seen = generation;
  const current = (): Logger => {
    if (seen !== generation) {
      child = root.child({ module });
      seen = generation;
    }
    return child;
  };
  const at =
    (level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'): LogFn =>
    (fields, message) => {
      const log = current();
      if (typeof fields === 'string') log[level](fields);
      else log[level](fields, message);
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    isLevelEnabled: (level) => current().isLevelEnabled(level),
  };
}
