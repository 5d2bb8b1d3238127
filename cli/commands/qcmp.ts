// SPDX-License-Identifier: Apache-2.0
// `quilkin qcmp ping ADDR`: round-trip times to a QCMP endpoint.
import type { Command } from 'commander';
import { AddressError, parseEndpointAddress } from '../../config/address';
import { median, qcmpPing } from '../../data-plane/qcmp/ping';
import { configureLogging, logger } from '../../runtime/logger';
import { CliError } from '../exit';
import { type GlobalOptions, parsePositiveInt, toOption } from '../options';

export function register(program: Command): void {
  const qcmp = program.command('qcmp').description('Quilkin Control Message Protocol tools');
  qcmp
    .command('ping')
    .description('measure round-trip delay to a QCMP endpoint (ip:port)')
    .argument('<endpoint>', 'QCMP endpoint, e.g. 127.0.0.1:7600')
    .addOption(toOption({ flags: '-a, --amount <n>', help: 'number of pings', default: 5, parse: parsePositiveInt }))
    .action(async (endpoint: string, opts: { amount: number }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      configureLogging({ format: globals.logFormat, quiet: globals.quiet });
      const log = logger('qcmp-ping');
      let address;
      try {
        address = parseEndpointAddress(endpoint);
      } catch (err) {
        throw new CliError((err as AddressError).message);
      }
      if (address.kind === 'dns') throw new CliError(`\`${endpoint}\` must be an IP address and port`);
      const report = await qcmpPing(address.host, address.port, opts.amount, (attempt, delayMs, error) => {
        if (delayMs === undefined) log.error({ attempt, endpoint, error }, 'ping failed');
        else log.info({ attempt, endpoint, delay_millis: delayMs.toFixed(2) }, 'ping reply');
      });
      const med = median(report.delaysMs);
      if (med === undefined) return log.warn({ endpoint, attempts: report.attempts }, 'no successful results');
      const average = report.delaysMs.reduce((a, b) => a + b, 0) / report.delaysMs.length;
      log.info({ endpoint, median_millis: med.toFixed(2), average_millis: average.toFixed(2), attempts: report.attempts, successful: report.delaysMs.length }, 'ping summary');
    });
}
