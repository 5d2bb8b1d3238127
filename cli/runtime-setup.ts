// SPDX-License-Identifier: Apache-2.0
// What every long-running command does first: logging, the start-up line, signal handling.
import { configureLogging, logger } from '../runtime/logger';
import type { GlobalOptions } from './options';

const VERSION: string = (require('../../package.json') as { version: string }).version;

export function version(): string {
  return VERSION;
}

export function setupRuntime(globals: GlobalOptions, mode: string): void {
  configureLogging({ format: globals.logFormat, quiet: globals.quiet });
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
