// SPDX-License-Identifier: Apache-2.0
// Start-up config: the -c file, else /etc/quilkin/quilkin.yaml, else the built-in empty config.
import * as fs from 'node:fs';
import { ConfigError } from '../config/issues';
import { type Config, emptyConfig, type FilterConfigValidator } from '../config/model';
import { parseConfigText } from '../config/parse';
import { CliError } from './exit';

export const SYSTEM_CONFIG_PATH = '/etc/quilkin/quilkin.yaml';

export interface LoadedConfig {
  readonly config: Config;
  /** The file it came from; undefined when the built-in default was used. */
  readonly path?: string;
}

export function readConfigFile(path: string, validator: FilterConfigValidator): Config {
  const text = fs.readFileSync(path, 'utf8');
  const result = parseConfigText(text, validator);
  if (!result.ok) throw new ConfigError(result.issues, path);
  return result.value;
}

/** Missing files fall through to the next candidate; any other error is fatal, as in Quilkin. */
export function loadStartupConfig(path: string, validator: FilterConfigValidator): LoadedConfig {
  for (const candidate of [path, SYSTEM_CONFIG_PATH]) {
    if (!fs.existsSync(candidate)) continue;
    try {
      return { config: readConfigFile(candidate, validator), path: candidate };
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.message);
      throw new CliError(`failed to read config ${candidate}: ${(err as Error).message}`);
    }
  }
  return { config: emptyConfig() };
}
