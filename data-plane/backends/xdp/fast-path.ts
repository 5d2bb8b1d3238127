// SPDX-License-Identifier: Apache-2.0
// Which tier runs the chain of `proxy xdp` for established sessions, and why: shown in /config and
// the start-up log, so a chain that stays in user space says which filter option keeps it there.
import type { Compiled } from '../../compiler/compile';
import type { XdpFastPathSetting } from '../backend';

export interface FastPathStatus {
  readonly tier: 'kernel' | 'user space';
  /** Why not the kernel (the flag, or the filter path and option the lowering refused). */
  readonly reason?: string;
  /** The lowered programs, one line (tier kernel). */
  readonly summary?: string;
}

export function fastPathStatus(compiled: Compiled, setting: XdpFastPathSetting): FastPathStatus {
  if (setting === 'off') return { tier: 'user space', reason: '--xdp.fast-path off' };
  try {
    const lowering = compiled.kernelChain();
    return lowering.lowerable ? { tier: 'kernel', summary: lowering.chain.summary } : { tier: 'user space', reason: lowering.reason };
  } catch (err) {
    // A lowering bug must not stop a config from being published: the workers run every chain.
    return { tier: 'user space', reason: `lowering failed: ${(err as Error).message}` };
  }
}
