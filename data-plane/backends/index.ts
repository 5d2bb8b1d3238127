// SPDX-License-Identifier: Apache-2.0
// The data path backends this build has, in order of preference for each mode.
import type { BackendFactory, BackendKind } from './backend';
import { createJsBackend } from './js/js-backend';
import { createSocketBackend } from './socket/socket-backend';
import { createXdpBackend } from './xdp/xdp-backend';

/** Each backend part adds its factory here (one line each). */
export const BACKENDS: Partial<Record<BackendKind, BackendFactory>> = {
  js: createJsBackend,
  socket: createSocketBackend,
  xdp: createXdpBackend,
};

/** What to try, in order, for a requested backend: xdp falls back to socket, socket to js. */
export function fallbackOrder(requested: BackendKind): BackendKind[] {
  switch (requested) {
    case 'xdp':
      return ['xdp', 'socket', 'js'];
    case 'socket':
      return ['socket', 'js'];
    case 'js':
      return ['js'];
  }
}
