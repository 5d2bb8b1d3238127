// SPDX-License-Identifier: Apache-2.0
// Boolean flags from the environment, read as clap's boolish parser does: commander sets a flag
// whenever its variable exists, so `QUIET=false` would silence output. Applied before any action.
import type { Command, Option } from 'commander';
import { UsageError } from './exit';

const TRUE_WORDS = ['y', 'yes', 't', 'true', 'on', '1'];
const FALSE_WORDS = ['n', 'no', 'f', 'false', 'off', '0'];

/** true / false, or undefined for an empty value (clap treats an empty variable as unset). */
export function parseBoolish(value: string, name: string): boolean | undefined {
  const word = value.trim().toLowerCase();
  if (word === '') return undefined;
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  throw new UsageError(`invalid value \`${value}\` for environment variable ${name}: expected one of true, false, yes, no, on, off, 1, 0`);
}

function isFlag(option: Option): boolean {
  return !option.required && !option.optional;
}

/** Re-reads every boolean flag of `command` that commander took from the environment. */
function applyTo(command: Command): void {
  for (const option of command.options) {
    if (!isFlag(option) || !option.envVar) continue;
    const key = option.attributeName();
    if (command.getOptionValueSource(key) !== 'env') continue;
    const on = parseBoolish(process.env[option.envVar] ?? '', option.envVar);
    // `--no-admin` stores `admin`: the flag being on means the value is false.
    const value = on === undefined ? option.defaultValue : option.negate ? !on : on;
    command.setOptionValueWithSource(key, value, on === undefined ? 'default' : 'env');
  }
}

/** Installs the correction on the program; it runs for the action's command and its parents. */
export function readBooleanEnvLikeClap(program: Command): void {
  program.hook('preAction', (_hooked, action) => {
    for (let c: Command | null = action; c; c = c.parent) applyTo(c);
  });
}
