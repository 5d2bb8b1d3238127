// SPDX-License-Identifier: Apache-2.0
// CPU profiles of this process for /debug/pprof/profile: one at a time (V8 has one profiler per
// isolate, and a profile costs CPU while it runs), returned as gzipped pprof protobuf.
// V8 samples the main thread from its own sampler thread, so the event loop runs on while a
// profile is taken; it pays at the stop, when V8 hands the profile over (parsed on this thread),
// it is converted (one pass over the samples) and encoded in slices (encodeAsync), and gzip runs
// on libuv's pool. The native backends' workers are never involved.
// The session is on the main thread: an inspector session a worker thread connects to the main
// one (Session.connectToMainThread) can abort Node 24 when a second worker connects right after
// the first one's session was torn down.
import { Session } from 'node:inspector/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { logger } from './logger';
import { cpuProfileToPprof } from './pprof-cpu';

const log = logger('admin');

/** Quilkin's sampling rate (pprof-rs at 1000 Hz): one sample per millisecond. */
export const PROFILE_INTERVAL_US = 1000;
/** Quilkin's default length, without `seconds`. */
export const DEFAULT_PROFILE_SECONDS = 2;
/** The longest profile served: a bound on how long the single profile slot can be held. */
export const MAX_PROFILE_SECONDS = 300;
/** Time allowed past the profile's length for V8 to hand it over and for encoding and sending it. */
export const PROFILE_ENCODE_GRACE_MS = 30_000;

const gzipAsync = promisify(gzip);

export class ProfileBusyError extends Error {
  constructor(readonly retryAfterSecs: number) {
    super(`a CPU profile is already being taken; retry in ${retryAfterSecs} s`);
  }
}

export class ProfileAbortedError extends Error {
  constructor() {
    super('CPU profile abandoned: the client went away');
  }
}

/** Parses the `seconds` query value (absent: Quilkin's default); throws a message for a 400. */
export function parseProfileSeconds(raw: string | null): number {
  if (raw === null) return DEFAULT_PROFILE_SECONDS;
  const seconds = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds >= 1 && seconds <= MAX_PROFILE_SECONDS)) {
    throw new RangeError(`invalid seconds \`${raw}\`: expected a whole number of seconds from 1 to ${MAX_PROFILE_SECONDS}`);
  }
  return seconds;
}

export class CpuProfiler {
  private busyUntilMs: number | undefined;

  /**
   * Profiles the main thread for `seconds`; resolves with gzipped pprof. Throws ProfileBusyError
   * while another profile runs, ProfileAbortedError when `signal` aborts first.
   */
  async profile(seconds: number, signal?: AbortSignal): Promise<Buffer> {
    if (this.busyUntilMs !== undefined) throw new ProfileBusyError(Math.max(1, Math.ceil((this.busyUntilMs - Date.now()) / 1000)));
    this.busyUntilMs = Date.now() + seconds * 1000;
    const session = new Session();
    try {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
      const startedAtMs = Date.now();
      await session.post('Profiler.start');
      const finished = await waitOrAbort(seconds * 1000, signal);
      const stopping = Date.now();
      const { profile } = await session.post('Profiler.stop');
      if (!finished) throw new ProfileAbortedError();
      const pprof = cpuProfileToPprof(profile, { intervalUs: PROFILE_INTERVAL_US, startedAtMs });
      const body = await gzipAsync(await pprof.encodeAsync());
      log.info({ seconds, samples: profile.samples?.length ?? 0, bytes: body.length, encodeMs: Date.now() - stopping }, 'cpu profile taken');
      return body;
    } finally {
      // Disconnecting also stops a profile still running (an error above) and disables the domain.
      session.disconnect();
      this.busyUntilMs = undefined;
    }
  }
}

/** Resolves true after `ms`, false as soon as `signal` aborts. */
function waitOrAbort(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The process's profiler: every admin server in it shares the one V8 profiler. */
export const cpuProfiler = new CpuProfiler();
