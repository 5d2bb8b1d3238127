// SPDX-License-Identifier: Apache-2.0
// `quilkin manage`: filled in by the xDS work (issue 6); until then it says so and exits 2.
import type { Command } from 'commander';
import { notAvailableYet } from '../exit';

export function register(program: Command): void {
  program
    .command('manage')
    .description('control plane: run a provider and serve its config over xDS')
    .allowUnknownOption()
    .action(() => notAvailableYet('manage'));
}
