// SPDX-License-Identifier: Apache-2.0
// Usage errors as clap reports them: one precise line, the command's usage, a pointer to --help,
// exit code 2. Commander would print the whole help and exit 1.
import type { Command } from 'commander';

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function usageHint(command: Command): string {
  const path = commandPath(command);
  return `\nUsage: ${path} ${command.usage()}\n\nFor more information, try '${path} --help'.`;
}

/** The command whose action is about to run, for the hint after an error raised in it. */
let actionCommand: Command | undefined;

export function currentCommand(): Command | undefined {
  return actionCommand;
}

/** Every command, recursively: errors throw (no process.exit inside commander) and end with the hint. */
export function configureUsageErrors(program: Command): void {
  const visit = (command: Command): void => {
    command.exitOverride().showHelpAfterError(usageHint(command));
    command.commands.forEach(visit);
  };
  visit(program);
  program.hook('preAction', (_hooked, action) => {
    actionCommand = action;
  });
}

/** Commander's own "errors" that are not: --help and --version. */
export function isHelpOrVersion(code: string): boolean {
  return code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version';
}
