// SPDX-License-Identifier: Apache-2.0
// `quilkin qcmp ping ADDR [-a N] [-i DUR] [-t DUR]`: round-trip times to a QCMP endpoint; exits 1
// when no reply came (as Quilkin's newer `qcmp ping` does).
import type { Command } from 'commander';
import { AddressError, parseEndpointAddress } from '../../config/address';
import { median, qcmpPing } from '../../data-plane/qcmp/ping';
import { logger } from '../../runtime/logger';
import { CliError, UsageError } from '../exit';
import { type GlobalOptions, parsePositiveInt, toOption } from '../options';
import { configureCliLogging } from '../runtime-setup';
import { parseDurationMs } from '../values';

interface PingOptions {
  amount: number;
  interval?: number;
  timeout: number;
}

export function register(program: Command): void {
  const qcmp = program.command('qcmp').description('Quilkin Control Message Protocol tools');
  qcmp
    .command('ping')
    .description('measure round-trip delay to a QCMP endpoint (ip:port)')
    .argument('<endpoint>', 'QCMP endpoint, e.g. 127.0.0.1:7600')
    .addOption(toOption({ flags: '-a, --amount <n>', help: 'number of pings', default: 5, parse: parsePositiveInt }))
    .addOption(
      toOption({
        flags: '-i, --interval <duration>',
        help: 'ping at this interval (e.g. 500ms, 1s) instead of right after the last reply',
        parse: parseDurationMs,
      }),
    )
    .addOption(
      toOption({ flags: '-t, --timeout <duration>', help: 'how long to wait for each reply', default: 1000, defaultText: '1s', parse: parseDurationMs }),
    )
    .action(async (endpoint: string, opts: PingOptions, command: Command) => {
      let address;
      try {
        address = parseEndpointAddress(endpoint);
      } catch (err) {
        throw new UsageError(`invalid value \`${endpoint}\` for <endpoint>: ${(err as AddressError).message}`);
      }
      if (address.kind === 'dns') throw new UsageError(`invalid value \`${endpoint}\` for <endpoint>: must be an IP address and port`);
      configureCliLogging(command.optsWithGlobals() as GlobalOptions);
      const log = logger('qcmp-ping');
      log.info({ endpoint }, 'starting ping task');
      const report = await qcmpPing(
        address.host,
        address.port,
        opts.amount,
        (attempt, delayMs, error) => {
          if (delayMs === undefined) log.error({ attempt, endpoint, error }, 'ping failed');
          else log.info({ attempt, endpoint, delay_millis: delayMs.toFixed(2) }, 'successful ping');
        },
        opts.timeout,
        opts.interval,
      );
      const med = median(report.delaysMs);
      if (med === undefined) throw new CliError(`no successful results: none of ${report.attempts} pings to ${endpoint} got a reply within ${opts.timeout} ms`);
      const average = report.delaysMs.reduce((a, b) => a + b, 0) / report.delaysMs.length;
      log.info(
        { endpoint, median_millis: med.toFixed(2), average_millis: average.toFixed(2), attempts: report.attempts, successful_attempts: report.delaysMs.length },
        'final results',
      );
    });
}
