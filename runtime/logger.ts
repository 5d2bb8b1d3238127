// SPDX-License-Identifier: Apache-2.0
// One pino root logger; modules take a named child whose level comes from the log filter.
// JSON lines have the shape of Quilkin's (tracing-subscriber's json formatter): `timestamp`
// (RFC 3339), `level` (`INFO`), `fields.message` plus the event's fields, `target`.
import pino, { type Logger, type LoggerOptions } from 'pino';
import { buildFilter, type LevelName, type LogFilter } from './log-filter';
import { targetOf } from './log-targets';

export type LogFormat = 'auto' | 'json' | 'plain' | 'pretty';

/** tracing has no FATAL; Quilkin pipelines know these five. */
const TRACING_LEVEL: Readonly<Record<string, string>> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR' };

function pinoLevel(level: LevelName): string {
  return level === 'off' ? 'silent' : level;
}

/** Error values become their message: JSON.stringify would print `{}`. */
function plainFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = value instanceof Error ? value.message : value;
  return out;
}

export function jsonLoggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { pid: process.pid },
    timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
    formatters: {
      level: (label) => ({ level: TRACING_LEVEL[label] ?? label.toUpperCase() }),
      log: (object) => ({ fields: object }),
    },
    hooks: {
      // Folds the message into the fields object, where tracing puts it (`fields.message`).
      logMethod(args, method) {
        const [first, second] = args as unknown[];
        if (typeof first === 'string') return method.apply(this, [{ message: first }] as [object]);
        if (first && typeof first === 'object') {
          const fields = plainFields(first as Record<string, unknown>);
          return method.apply(this, [typeof second === 'string' ? { message: second, ...fields } : fields] as [object]);
        }
        return method.apply(this, args);
      },
    },
  };
}

let filter: LogFilter = buildFilter([{ level: 'info' }]);
let root: Logger = pino(jsonLoggerOptions('info'));
let generation = 0;

export interface LoggingOptions {
  format: LogFormat;
  quiet: boolean;
  /** Levels per target (RUST_LOG / QUILKIN_LOG_LEVEL); default: info everywhere. */
  filter?: LogFilter;
  /** One level for every module; overrides `filter`. */
  level?: string;
}

/** Reconfigures the root logger (called once by the CLI before anything logs). */
export function configureLogging(options: LoggingOptions): Logger {
  filter = options.quiet
    ? buildFilter([{ level: 'off' }])
    : options.level
      ? buildFilter([{ level: options.level as LevelName }])
      : (options.filter ?? buildFilter([{ level: 'info' }]));
  const level = pinoLevel(filter.mostVerbose);
  const human = options.format === 'plain' || options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true);
  root = human
    ? pino({
        level,
        transport: {
          target: 'pino-pretty',
          options: { colorize: options.format !== 'plain', destination: 1, ignore: 'pid,hostname,target', messageFormat: '{target}: {msg}' },
        },
      })
    : pino(jsonLoggerOptions(level));
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
  const target = targetOf(module);
  const make = (): Logger => root.child({ target }, { level: pinoLevel(filter.levelFor(target, module)) });
  let child = make();
  let seen = generation;
  const current = (): Logger => {
    if (seen !== generation) {
      child = make();
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
