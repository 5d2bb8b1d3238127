// SPDX-License-Identifier: Apache-2.0
import { spawnSync } from 'node:child_process';

/**
 * Why BPF tests cannot run here, or undefined when they can. Only a missing
 * capability counts: missing tools (clang, bpftool) are real failures.
 */
export function bpfUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `BPF needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'BPF tests need root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)';
  const probe = spawnSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8', timeout: 10000 });
  if (probe.error) throw new Error(`bpftool: ${probe.error.message} (install the bpftool package)`);
  if (probe.status !== 0 && /Operation not permitted|not supported|Function not implemented/.test(probe.stderr)) {
    return `the bpf() syscall is not usable here: ${probe.stderr.trim()}`;
  }
  return undefined;
}

/** For a suite's `before` hook: skips the suite, saying why, when BPF cannot run here. */
export function skipWithoutBpf(ctx: Mocha.Context): void {
  const reason = bpfUnavailableReason();
  if (!reason) return;
  console.log(`    skipped: ${reason}`);
  ctx.skip();
}
