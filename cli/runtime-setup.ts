// SPDX-License-Identifier: Apache-2.0
// What every long-running command does first: logging, the start-up line, signal handling.
import { setMaxGrpcMessageBytes } from '../proto/grpc-limits';
import { configureTls } from '../proto/tls';
import { setDefaultAdminLimits } from '../runtime/admin';
import { LogFilterError, logFilterFromEnv } from '../runtime/log-filter';
import { configureLogging, logger } from '../runtime/logger';
import { CliError, UsageError } from './exit';
import type { GlobalOptions } from './options';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json sits outside rootDir's output tree
const VERSION: string = (require('../../package.json') as { version: string }).version;

export function version(): string {
  return VERSION;
}

/** Logging from the global flags and RUST_LOG / QUILKIN_LOG_LEVEL; a bad variable is a usage error. */
export function configureCliLogging(globals: GlobalOptions): void {
  let filter;
  try {
    filter = logFilterFromEnv();
  } catch (err) {
    if (err instanceof LogFilterError) throw new UsageError(err.message);
    throw err;
  }
  configureLogging({ format: globals.logFormat, quiet: globals.quiet, filter });
}

/** Process-wide limits from the global flags: every admin server and gRPC channel opened later uses them. */
export function applyGlobalLimits(globals: GlobalOptions): void {
  setDefaultAdminLimits({
    maxConnections: globals.adminMaxConnections,
    idleTimeoutMs: globals.adminIdleTimeoutSecs * 1000,
    headersTimeoutMs: globals.adminHeadersTimeoutSecs * 1000,
    requestTimeoutMs: globals.adminRequestTimeoutSecs * 1000,
    keepAliveTimeoutMs: globals.adminKeepAliveTimeoutSecs * 1000,
  });
  setMaxGrpcMessageBytes(globals.maxGrpcMessageSize);
  try {
    configureTls({ cert: globals.tlsCert, key: globals.tlsKey, ca: globals.tlsCa });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export function setupRuntime(globals: GlobalOptions, mode: string): void {
  configureCliLogging(globals);
  applyGlobalLimits(globals);
  logger('cli').info({ version: VERSION, mode, node: process.version }, 'Starting Quilkin');
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits 0 (a second signal exits at once). */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    logger('cli').info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger('cli').error({ err: err.message }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
