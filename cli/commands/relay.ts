// SPDX-License-Identifier: Apache-2.0
// `quilkin relay`: filled in by the xDS work (issue 6); until then it says so and exits 2.
import type { Command } from 'commander';
import { notAvailableYet } from '../exit';

export function register(program: Command): void {
  program
    .command('relay')
    .description('aggregate configs pushed by agents and serve them to proxies over xDS')
    .allowUnknownOption()
    .action(() => notAvailableYet('relay'));
}
