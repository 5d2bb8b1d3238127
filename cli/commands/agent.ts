// SPDX-License-Identifier: Apache-2.0
// `quilkin agent`: filled in by the xDS work (issue 6); until then it says so and exits 2.
import type { Command } from 'commander';
import { notAvailableYet } from '../exit';

export function register(program: Command): void {
  program
    .command('agent')
    .description('run a provider next to game servers and push its endpoints to a relay')
    .allowUnknownOption()
    .action(() => notAvailableYet('agent'));
}
