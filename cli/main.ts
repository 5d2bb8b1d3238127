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
import { readBooleanEnvLikeClap } from './env-bool';
import { CliError, UsageError } from './exit';
import { GLOBAL_OPTIONS, toOption } from './options';
import { version } from './runtime-setup';
import { configureUsageErrors, currentCommand, isHelpOrVersion, usageHint } from './usage';

export function buildProgram(): Command {
  const program = new Command('quilkin')
    .description('A Quilkin-compatible UDP proxy for real-time game traffic, with an AF_XDP data path')
    .version(version(), '-V, --version')
    .enablePositionalOptions();
  for (const spec of GLOBAL_OPTIONS) program.addOption(toOption(spec));
  for (const register of [registerProxy, registerManage, registerAgent, registerRelay, registerQcmp, registerSchema]) register(program);
  configureUsageErrors(program);
  readBooleanEnvLikeClap(program);
  return program;
}

function fail(message: string, code: number): never {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  process.exit(code);
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // Commander has printed its message and the usage hint already.
    if (err instanceof CommanderError) process.exit(isHelpOrVersion(err.code) ? 0 : 2);
    if (err instanceof UsageError) fail(`error: ${err.message}\n${usageHint(currentCommand() ?? program)}`, 2);
    if (err instanceof CliError) fail(`error: ${err.message}`, err.exitCode);
    if (err instanceof ConfigError) fail(`error: ${err.message}`, 1);
    fail(`error: ${(err as Error).stack ?? String(err)}`, 1);
  }
}

if (require.main === module) void main(process.argv);
