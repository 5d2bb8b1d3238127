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

/** A bad flag, variable or argument: exit code 2 and a usage hint, as clap does. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
