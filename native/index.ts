// SPDX-License-Identifier: Apache-2.0
// The only module that knows where the addons are built; everything else imports from here.
import * as path from 'node:path';
import type { SocketAddon } from './socket/socket-addon';

/** What the addon exports; each part extends its own interface. */
export interface NativeAddon {
  readonly engine: Record<string, unknown>;
  readonly socket: SocketAddon;
}

let cached: { addon?: NativeAddon; error?: Error } | undefined;

/**
 * Where a built addon file is: `override` (an environment variable naming another build flavour,
 * such as the ASan/UBSan one of scripts/build-native-asan.sh) when set, else native/build/Release.
 */
export function addonPath(file: string, override: string | undefined): string {
  if (override) return path.resolve(override);
  // Compiled to dist/native/index.js; the addons are built into native/build/Release.
  return path.resolve(__dirname, '..', '..', 'native', 'build', 'Release', file);
}

/** Loads the addon once; returns the reason it could not be loaded instead of throwing. */
export function loadNative(): { addon?: NativeAddon; error?: Error } {
  if (!cached) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = { addon: require(addonPath('quilkin_native.node', process.env.QUILKIN_NATIVE_ADDON)) as NativeAddon };
    } catch (err) {
      cached = { error: err as Error };
    }
  }
  return cached;
}
