// SPDX-License-Identifier: Apache-2.0
// Factory and flags of the file provider, for the provider registry.
import type { OptionSpec } from '../../../config/option-spec';
import type { ProviderFactory } from '../index';
import { FsProvider } from './fs-provider';

export const FS_OPTIONS: readonly OptionSpec[] = [
  { flags: '--path <file>', help: 'fs provider: the config file to serve (default: the global --config)', env: 'QUILKIN_FS_PATH' },
];

export const fsProviderFactory: ProviderFactory = {
  kinds: ['fs'],
  options: FS_OPTIONS,
  create: (ctx) =>
    new FsProvider({
      path: typeof ctx.values.path === 'string' ? ctx.values.path : ctx.configPath,
      validator: ctx.validator,
      filtersOnly: ctx.role === 'relay',
      ...(ctx.locality ? { locality: ctx.locality } : {}),
    }),
};
