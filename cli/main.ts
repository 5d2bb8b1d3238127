// SPDX-License-Identifier: Apache-2.0
// The `quilkin` command: global options, subcommands, exit codes. Parsing and dispatch only.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/issues';
import { register as registerAgent } from './commands/agent';
import { register as registerSchema } from './commands/generate-config-schema';
import { register as registerManage } from './commands/manage';
import { register as registerProxy } from './commands/proxy';
import { register as registerQcmp } from './commands/qcmp';
import { register as registerRelay } from './commands/relay';
import { CliError } from './exit';
import { GLOBAL_OPTIONS, toOption } from './options';
import { version } from './runtime-setup';

export function buildProgram(): Command {
  const program = new Command('quilkin')
    .description('A Quilkin-compatible UDP proxy for real-time game traffic, with an AF_XDP data path')
    .version(version(), '-V, --version')
    .showHelpAfterError()
    .enablePositionalOptions();
  for (const spec of GLOBAL_OPTIONS) program.addOption(toOption(spec));
  for (const register of [registerProxy, registerManage, registerAgent, registerRelay, registerQcmp, registerSchema]) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof CliError || err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(err instanceof CliError ? err.exitCode : 1);
    }
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv);
