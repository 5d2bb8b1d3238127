// SPDX-License-Identifier: Apache-2.0
// A command-line option as data (flag, env, default, help, parser). Declared below the CLI so the
// control plane's providers can describe their own flags without depending on cli/; cli/options.ts
// turns rows into commander options.
export interface OptionSpec {
  /** Commander flags, e.g. `-p, --port <port>`. */
  readonly flags: string;
  readonly help: string;
  readonly env?: string;
  readonly default?: unknown;
  /** Shown instead of the default value in --help. */
  readonly defaultText?: string;
  readonly choices?: readonly string[];
  readonly parse?: (value: string, previous: unknown) => unknown;
}
