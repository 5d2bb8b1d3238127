// SPDX-License-Identifier: Apache-2.0
// `quilkin agent [--relay URL] [agones|file PATH]` (also `--provider fs|agones`): options as data rows, then dispatch to control-plane/agent.
import { type Command, InvalidArgumentError } from 'commander';
import { startAgent } from '../../control-plane/agent';
import { providerKinds, providerOptions } from '../../control-plane/providers';
import { startQcmpServer } from '../../data-plane/qcmp/server';
import { logger } from '../../runtime/logger';
import { QuilkinMetrics } from '../../runtime/metrics';
import { CliError } from '../exit';
import { addOptionRows, type GlobalOptions, type OptionSpec, parsePort } from '../options';
import { onShutdown, setupRuntime } from '../runtime-setup';
import { CONFIG_OPTION, ID_OPTION, LOCALITY_OPTIONS, type ProviderCliValues, providerFromCli, RELAY_TARGET_OPTION } from './manage';
import { addProviderSubcommands, programOptions, rejectUnknownProvider } from './provider-subcommands';

function parseIcao(value: string): string {
  if (!/^[A-Z]{4}$/.test(value)) throw new InvalidArgumentError(`\`${value}\` is not an ICAO code (four letters A-Z)`);
  return value;
}

export const AGENT_OPTIONS: readonly OptionSpec[] = [
  { flags: '-q, --qcmp-port <port>', help: 'UDP port answering QCMP pings (advertised to relays)', env: 'QCMP_PORT', default: 7600, parse: parsePort },
  RELAY_TARGET_OPTION,
  ...LOCALITY_OPTIONS,
  { flags: '-i, --icao-code <code>', help: 'ICAO code of this datacenter, advertised with the QCMP port', env: 'ICAO_CODE', default: 'XXXX', parse: parseIcao },
  { flags: '--provider <kind>', help: 'where the endpoints come from', env: 'QUILKIN_PROVIDER', choices: providerKinds(), default: 'fs' },
  ID_OPTION,
  CONFIG_OPTION,
];

interface AgentValues extends ProviderCliValues {
  qcmpPort: number;
  relay?: string[];
  icaoCode: string;
  id: string;
}

async function runAgent(globals: GlobalOptions, values: AgentValues): Promise<void> {
  setupRuntime(globals, 'agent');
  const provider = providerFromCli('agent', values, globals);
  const qcmp = await startQcmpServer(values.qcmpPort).catch((err: Error) => {
    throw new CliError(`cannot serve QCMP on port ${values.qcmpPort}: ${err.message}`);
  });
  const running = await startAgent({
    id: values.id,
    relays: values.relay ?? [],
    provider,
    qcmpPort: qcmp.port,
    icaoCode: values.icaoCode,
    metrics: new QuilkinMetrics(),
    ...(globals.admin ? { adminAddress: globals.adminAddress } : {}),
  }).catch(async (err: Error) => {
    await qcmp.close();
    throw new CliError(err.message);
  });
  onShutdown(async () => {
    await running.stop();
    await qcmp.close();
  });
  logger('cli').info(
    { mode: 'agent', provider: provider.name, qcmp: `[::]:${qcmp.port}`, relays: values.relay ?? [], admin: running.admin?.url },
    'Quilkin is ready',
  );
}

export function register(program: Command): void {
  const agent = program.command('agent').description('run a provider next to game servers and push its endpoints to a relay');
  addOptionRows(agent, [...AGENT_OPTIONS, ...providerOptions()]);
  addProviderSubcommands(agent, (globals, values) => runAgent(globals, values as AgentValues));
  agent.action(async (provider: string | undefined, values: AgentValues, command: Command) => {
    rejectUnknownProvider(provider);
    await runAgent(programOptions(command), values);
  });
}
