// SPDX-License-Identifier: Apache-2.0
// `quilkin relay [agones|file PATH]` (also `--provider fs|k8s|agones`): options as data rows, then dispatch to control-plane/relay.
import type { Command } from 'commander';
import { providerKinds, providerOptions } from '../../control-plane/providers';
import { startRelay } from '../../control-plane/relay';
import { filterRegistry } from '../../data-plane/filters/index';
import { logger } from '../../runtime/logger';
import { QuilkinMetrics } from '../../runtime/metrics';
import { CliError } from '../exit';
import { addOptionRows, type GlobalOptions, type OptionSpec, parsePort, parsePositiveInt } from '../options';
import { onShutdown, setupRuntime } from '../runtime-setup';
import { serverLimitsFromCli, XDS_SERVER_LIMIT_OPTIONS, type XdsServerLimitValues } from '../xds-server-flags';
import { CONFIG_OPTION, ID_OPTION, type ProviderCliValues, providerFromCli } from './manage';
import { addProviderSubcommands, programOptions, rejectUnknownProvider } from './provider-subcommands';

export const RELAY_OPTIONS: readonly OptionSpec[] = [
  { flags: '-m, --mds-port <port>', help: 'TCP port agents connect to (mDS)', env: 'QUILKIN_MDS_PORT', default: 7900, parse: parsePort },
  { flags: '-x, --xds-port <port>', help: 'TCP port proxies connect to (xDS)', env: 'QUILKIN_PORT', default: 7800, parse: parsePort },
  {
    flags: '--idle-request-interval-secs <secs>',
    help: 're-send subscriptions to an agent after this long without a response',
    env: 'QUILKIN_IDLE_REQUEST_INTERVAL_SECS',
    default: 30,
    parse: parsePositiveInt,
  },
  { flags: '--provider <kind>', help: 'optional source of the filter chain (endpoints come from agents)', env: 'QUILKIN_PROVIDER', choices: providerKinds() },
  ID_OPTION,
  CONFIG_OPTION,
  ...XDS_SERVER_LIMIT_OPTIONS,
];

interface RelayValues extends ProviderCliValues, XdsServerLimitValues {
  mdsPort: number;
  xdsPort: number;
  idleRequestIntervalSecs: number;
  id: string;
}

async function runRelay(globals: GlobalOptions, values: RelayValues): Promise<void> {
  setupRuntime(globals, 'relay');
  const provider = values.provider ? providerFromCli('relay', values, globals) : undefined;
  const running = await startRelay({
    id: values.id,
    xdsPort: values.xdsPort,
    mdsPort: values.mdsPort,
    ...(provider ? { provider } : {}),
    validator: filterRegistry(),
    idleRequestIntervalSecs: values.idleRequestIntervalSecs,
    xdsLimits: serverLimitsFromCli(values),
    metrics: new QuilkinMetrics(),
    ...(globals.admin ? { adminAddress: globals.adminAddress } : {}),
  }).catch((err: Error) => {
    throw new CliError(err.message);
  });
  onShutdown(() => running.stop());
  logger('cli').info(
    { mode: 'relay', xds: `[::]:${running.xdsPort}`, mds: `[::]:${running.mdsPort}`, provider: provider?.name ?? 'none', admin: running.admin?.url },
    'Quilkin is ready',
  );
}

export function register(program: Command): void {
  const relay = program.command('relay').description('aggregate configs pushed by agents and serve them to proxies over xDS');
  addOptionRows(relay, [...RELAY_OPTIONS, ...providerOptions()]);
  addProviderSubcommands(relay, (globals, values) => runRelay(globals, values as RelayValues));
  relay.action(async (provider: string | undefined, values: RelayValues, command: Command) => {
    rejectUnknownProvider(provider);
    await runRelay(programOptions(command), values);
  });
}
