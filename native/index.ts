// SPDX-License-Identifier: Apache-2.0
// The only module that knows where the addon is built; everything else imports from here.
import * as path from 'node:path';
import type { SocketAddon } from './socket/socket-addon';

/** What the addon exports; each part extends its own interface. */
export interface NativeAddon {
  readonly engine: Record<string, unknown>;
  readonly socket: SocketAddon;
}

let cached: { addon?: NativeAddon; error?: Error } | undefined;

function addonPath(): string {
  // QUILKIN_NATIVE_ADDON selects another build flavour (the ASan/UBSan one: scripts/build-native-asan.sh).
  if (process.env.QUILKIN_NATIVE_ADDON) return path.resolve(process.env.QUILKIN_NATIVE_ADDON);
  // Compiled to dist/native/index.js; the addon is built into native/build/Release.
  return path.resolve(__dirname, '..', '..', 'native', 'build', 'Release', 'quilkin_native.node');
}

/** Loads the addon once; returns the reason it could not be loaded instead of throwing. */
export function loadNative(): { addon?: NativeAddon; error?: Error } {
  if (!cached) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = { addon: require(addonPath()) as NativeAddon };
    } catch (err) {
      cached = { error: err as Error };
    }
  }
  return cached;
}
