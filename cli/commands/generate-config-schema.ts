// SPDX-License-Identifier: Apache-2.0
// `quilkin generate-config-schema`: JSON Schemas of the filter configs (and of the config file).
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configFileSchema } from '../../config/schema';
import { filterRegistry } from '../../data-plane/filters/index';
import { CliError } from '../exit';
import { collect, toOption } from '../options';

export function register(program: Command): void {
  program
    .command('generate-config-schema')
    .description('write JSON Schemas of the config file and of each filter config')
    .addOption(toOption({ flags: '-o, --output-directory <dir>', help: 'where to write the schemas', default: '.' }))
    .addOption(toOption({ flags: '--filter-ids <name>', help: 'only these filters (repeatable; default all)', parse: collect }))
    .action((opts: { outputDirectory: string; filterIds?: string[] }) => {
      const registry = filterRegistry();
      const names = opts.filterIds ?? registry.names();
      fs.mkdirSync(opts.outputDirectory, { recursive: true });
      for (const name of names) {
        let factory;
        try {
          factory = registry.get(name);
        } catch (err) {
          throw new CliError((err as Error).message);
        }
        const file = path.join(opts.outputDirectory, `${name}.yaml.schema.json`);
        fs.writeFileSync(file, JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', title: name, ...(factory.schema as object) }, null, 2) + '\n');
        process.stdout.write(`${file}\n`);
      }
      const configFile = path.join(opts.outputDirectory, 'quilkin.yaml.schema.json');
      fs.writeFileSync(configFile, JSON.stringify(configFileSchema(registry), null, 2) + '\n');
      process.stdout.write(`${configFile}\n`);
    });
}
