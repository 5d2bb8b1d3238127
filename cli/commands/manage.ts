// SPDX-License-Identifier: Apache-2.0
// `quilkin manage agones|file PATH` (Quilkin v0.9) and `quilkin manage --provider fs|k8s|agones`:
// options as data rows, then dispatch to control-plane/manage.
import type { Command } from 'commander';
import * as os from 'node:os';
import { startManage } from '../../control-plane/manage';
import { createProvider, providerKinds, providerOptions } from '../../control-plane/providers';
import { localityFromFlags } from '../../control-plane/providers/locality';
import type { Provider } from '../../control-plane/providers/provider';
import { filterRegistry } from '../../data-plane/filters/index';
import { logger } from '../../runtime/logger';
import { QuilkinMetrics } from '../../runtime/metrics';
import { CliError } from '../exit';
import { addOptionRows, type GlobalOptions, type OptionSpec, parsePort } from '../options';
import { collectServerUrls } from '../values';
import { addProviderSubcommands, programOptions, rejectUnknownProvider } from './provider-subcommands';
import { onShutdown, setupRuntime } from '../runtime-setup';
import { serverLimitsFromCli, XDS_SERVER_LIMIT_OPTIONS, type XdsServerLimitValues } from '../xds-server-flags';

export const LOCALITY_OPTIONS: readonly OptionSpec[] = [
  { flags: '--region <region>', help: 'locality region given to endpoints that have none', env: 'QUILKIN_REGION' },
  { flags: '--zone <zone>', help: 'locality zone (only with --region)', env: 'QUILKIN_ZONE' },
  { flags: '--sub-zone <subzone>', help: 'locality sub-zone (only with --region)', env: 'QUILKIN_SUB_ZONE' },
];

export const RELAY_TARGET_OPTION: OptionSpec = {
  flags: '-r, --relay <url>',
  help: 'relay mDS endpoint to push clusters to, e.g. http://relay:7900 (repeatable: tried in order)',
  env: 'QUILKIN_MANAGEMENT_SERVER',
  parse: collectServerUrls,
};

export const ID_OPTION: OptionSpec = {
  flags: '--id <id>',
  help: 'control plane identifier sent to peers',
  env: 'QUILKIN_ID',
  default: os.hostname(),
  defaultText: 'hostname',
};

/** `-c` may also follow the subcommand (`manage --provider fs -c FILE`); the fs provider reads it. */
export const CONFIG_OPTION: OptionSpec = { flags: '-c, --config <path>', help: 'config file the fs provider serves (same as the global --config)' };

export const MANAGE_OPTIONS: readonly OptionSpec[] = [
  { flags: '-p, --port <port>', help: 'TCP port of the xDS gRPC server', env: 'QUILKIN_PORT', default: 7800, parse: parsePort },
  RELAY_TARGET_OPTION,
  ...LOCALITY_OPTIONS,
  { flags: '--provider <kind>', help: 'where the config comes from', env: 'QUILKIN_PROVIDER', choices: providerKinds(), default: 'fs' },
  ID_OPTION,
  CONFIG_OPTION,
  ...XDS_SERVER_LIMIT_OPTIONS,
];

export interface ProviderCliValues {
  provider?: string;
  region?: string;
  zone?: string;
  subZone?: string;
  config?: string;
  [key: string]: unknown;
}

/** Builds the chosen provider from the command's flag values; bad flags become a CliError. */
export function providerFromCli(role: 'manage' | 'agent' | 'relay', values: ProviderCliValues, globals: GlobalOptions): Provider {
  const locality = localityFromFlags(values.region, values.zone, values.subZone);
  try {
    return createProvider({
      kind: values.provider ?? 'fs',
      role,
      validator: filterRegistry(),
      configPath: values.config ?? globals.config,
      values,
      ...(locality ? { locality } : {}),
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

interface ManageValues extends ProviderCliValues, XdsServerLimitValues {
  port: number;
  relay?: string[];
  id: string;
}

async function runManage(globals: GlobalOptions, values: ManageValues): Promise<void> {
  setupRuntime(globals, 'manage');
  const provider = providerFromCli('manage', values, globals);
  const running = await startManage({
    port: values.port,
    id: values.id,
    relays: values.relay ?? [],
    provider,
    xdsLimits: serverLimitsFromCli(values),
    metrics: new QuilkinMetrics(),
    ...(globals.admin ? { adminAddress: globals.adminAddress } : {}),
  }).catch((err: Error) => {
    throw new CliError(err.message);
  });
  onShutdown(() => running.stop());
  logger('cli').info(
    { mode: 'manage', provider: provider.name, xds: `[::]:${running.xdsPort}`, admin: running.admin?.url, relays: values.relay ?? [] },
    'Quilkin is ready',
  );
}

export function register(program: Command): void {
  const manage = program.command('manage').description('control plane: run a provider and serve its config over xDS');
  addOptionRows(manage, [...MANAGE_OPTIONS, ...providerOptions()]);
  addProviderSubcommands(manage, (globals, values) => runManage(globals, values as ManageValues));
  manage.action(async (provider: string | undefined, values: ManageValues, command: Command) => {
    rejectUnknownProvider(provider);
    await runManage(programOptions(command), values);
  });
}
