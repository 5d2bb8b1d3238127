// SPDX-License-Identifier: Apache-2.0
// Errors that end the process with a message and an exit code instead of a stack trace.

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command that a later part of the project fills in: clear message, exit code 2. */
export function notAvailableYet(command: string): never {
  throw new CliError(`\`quilkin ${command}\` is not available yet in this build`, 2);
}
