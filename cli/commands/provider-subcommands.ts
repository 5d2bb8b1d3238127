// SPDX-License-Identifier: Apache-2.0
// Quilkin v0.9's provider subcommands: `manage|agent|relay agones [-c NS] [-g NS]` and
// `… file PATH`. They select the same providers as our `--provider` flag and feed the same run.
import { Argument, type Command } from 'commander';
import { K8S_OPTIONS } from '../../control-plane/providers/k8s/options';
import { UsageError } from '../exit';
import { addOptionRows, type GlobalOptions, type OptionSpec } from '../options';

/** In Quilkin's `agones` subcommand `-c` is the config namespace and `-g` the gameservers namespace. */
const AGONES_SHORT_FLAGS: Readonly<Record<string, string>> = { '--config-namespace': '-c', '--gameservers-namespace': '-g' };

const AGONES_OPTIONS: readonly OptionSpec[] = K8S_OPTIONS.flatMap((row) => {
  const short = AGONES_SHORT_FLAGS[row.flags.split(' ')[0]];
  return short ? [{ ...row, flags: `${short}, ${row.flags}` }] : [];
});

export type ProviderRun = (globals: GlobalOptions, values: Record<string, unknown>) => Promise<void>;

export function programOptions(command: Command): GlobalOptions {
  let root = command;
  while (root.parent) root = root.parent;
  return root.opts() as GlobalOptions;
}

/** The parent's values, overridden by whatever the subcommand set other than its defaults. */
function mergedValues(sub: Command): Record<string, unknown> {
  const parent = sub.parent!;
  const out: Record<string, unknown> = { ...parent.opts() };
  for (const [key, value] of Object.entries(sub.opts())) {
    const parentSource = parent.getOptionValueSource(key);
    if (sub.getOptionValueSource(key) === 'default' && parentSource !== undefined && parentSource !== 'default') continue;
    out[key] = value;
  }
  return out;
}

export const PROVIDER_SUBCOMMANDS = ['agones', 'file'] as const;

/**
 * Adds `agones` and `file PATH` under `parent`; a bare word that is neither gets a precise error
 * instead of commander's "too many arguments".
 */
export function addProviderSubcommands(parent: Command, run: ProviderRun): void {
  parent.enablePositionalOptions();
  parent.addArgument(new Argument('[provider]', `provider subcommand: ${PROVIDER_SUBCOMMANDS.join(' | ')} (same as --provider)`));
  const agones = parent
    .command('agones')
    .description('watch Agones GameServers and ConfigMaps labelled quilkin.dev/configmap=true (Quilkin v0.9 spelling of --provider agones)');
  addOptionRows(agones, AGONES_OPTIONS);
  agones.action(async (_values: unknown, command: Command) => {
    await run(programOptions(command), { ...mergedValues(command), provider: 'agones' });
  });
  const file = parent
    .command('file')
    .description('serve a config file and follow its changes (Quilkin v0.9 spelling of --provider fs --path PATH)')
    .argument('[path]', 'the config file (env: QUILKIN_FS_PATH)');
  file.action(async (path: string | undefined, _values: unknown, command: Command) => {
    const chosen = path ?? (process.env.QUILKIN_FS_PATH || undefined);
    if (!chosen) throw new UsageError('the following required argument was not provided: <PATH> (or set QUILKIN_FS_PATH)');
    await run(programOptions(command), { ...mergedValues(command), provider: 'fs', path: chosen });
  });
}

/** For the parent's own action: its `[provider]` operand must name a subcommand, else it is a typo. */
export function rejectUnknownProvider(word: string | undefined): void {
  if (word !== undefined) throw new UsageError(`unrecognized provider subcommand \`${word}\`; expected ${PROVIDER_SUBCOMMANDS.join(' or ')}`);
}
