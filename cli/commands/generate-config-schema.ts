// SPDX-License-Identifier: Apache-2.0
// `quilkin generate-config-schema [IDS…|all]`: JSON Schemas of the filter configs and of the config
// file, plus each filter's schema as YAML under Quilkin's file name (docs preprocessors include those).
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { configFileSchema } from '../../config/schema';
import { filterRegistry } from '../../data-plane/filters/index';
import { CliError } from '../exit';
import { collect, toOption } from '../options';

/** Quilkin sets the extension on the id: `quilkin.filters.capture.v1alpha1.Capture` -> `….v1alpha1.yaml`. */
export function quilkinSchemaFileName(id: string): string {
  const dot = id.lastIndexOf('.');
  return `${dot > 0 ? id.slice(0, dot) : id}.yaml`;
}

/** Positional ids (Quilkin) and `--filter-ids` (ours) together; `all` alone, or none, means every filter. */
function chosenIds(positional: readonly string[], flagged: readonly string[] | undefined, all: readonly string[]): string[] {
  const ids = [...positional, ...(flagged ?? [])];
  if (ids.length === 0 || (ids.length === 1 && ids[0].toLowerCase() === 'all')) return [...all];
  const unknown = ids.filter((id) => !all.includes(id));
  // Exit 1, not 2: Quilkin only logs unknown ids, so this is our strictness, not a clap usage error.
  if (unknown.length > 0) throw new CliError(`filter ${unknown.map((id) => `\`${id}\``).join(', ')} not found; known: ${all.join(', ')}`);
  return ids;
}

export function register(program: Command): void {
  program
    .command('generate-config-schema')
    .description('write JSON Schemas of the config file and of each filter config')
    .argument('[filter-ids...]', 'filter ids to write, or `all`', [])
    .addOption(toOption({ flags: '-o, --output-directory <dir>', help: 'where to write the schemas', default: '.' }))
    .addOption(toOption({ flags: '--filter-ids <name>', help: 'only these filters (repeatable; same as the positional ids)', parse: collect }))
    .action((positional: string[], opts: { outputDirectory: string; filterIds?: string[] }) => {
      const registry = filterRegistry();
      const names = chosenIds(positional, opts.filterIds, registry.names());
      fs.mkdirSync(opts.outputDirectory, { recursive: true });
      for (const name of names) {
        const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', title: name, ...(registry.get(name).schema as object) };
        const file = path.join(opts.outputDirectory, `${name}.yaml.schema.json`);
        fs.writeFileSync(file, JSON.stringify(schema, null, 2) + '\n');
        fs.writeFileSync(path.join(opts.outputDirectory, quilkinSchemaFileName(name)), stringify(schema));
        process.stdout.write(`${file}\n`);
      }
      const configFile = path.join(opts.outputDirectory, 'quilkin.yaml.schema.json');
      fs.writeFileSync(configFile, JSON.stringify(configFileSchema(registry), null, 2) + '\n');
      process.stdout.write(`${configFile}\n`);
    });
}
