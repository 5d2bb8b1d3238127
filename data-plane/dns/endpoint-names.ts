// SPDX-License-Identifier: Apache-2.0
// The one DNS policy for endpoint host names, used by every backend through the compile stage:
// IPv6 first (as Quilkin), each answer kept for its record TTL clamped to [floor, ceiling], and
// answers kept across reloads and failed refreshes, so a config change never unresolves a name.
import * as dns from 'node:dns';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';

export interface NamePolicy {
  /** Shortest time an answer is kept, whatever its TTL (a TTL of 0 must not become a query storm). */
  readonly floorMs: number;
  /** Longest time an answer is kept (Quilkin re-resolves every 60 s); also the lifetime of answers with no TTL (hosts file). */
  readonly ceilingMs: number;
  /** Retry interval after a failed lookup; the previous answer, if any, stays in use meanwhile. */
  readonly retryMs: number;
}

export const DEFAULT_NAME_POLICY: NamePolicy = { floorMs: 5_000, ceilingMs: 60_000, retryMs: 5_000 };

export interface Answer {
  /** The address to use: the first IPv6 answer, else the first IPv4 one. */
  readonly ip: string;
  /** Seconds the records may be cached, when the source says (DNS); undefined for the hosts file. */
  readonly ttlSecs?: number;
}

/** Resolves one name; rejects when it has no address. */
export type Lookup = (host: string) => Promise<Answer>;

/** RFC 6761: `localhost` names are answered locally and never sent to a DNS server. */
function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * The system's answer (getaddrinfo: hosts file, search domains, as Quilkin's lookup_host), with the
 * TTL taken from a direct DNS query for the same name when one answers with that address.
 */
export function systemLookup(resolver: dns.promises.Resolver = new dns.promises.Resolver()): Lookup {
  return async (host) => {
    const answers = await dns.promises.lookup(host, { all: true });
    const pick = answers.find((a) => a.family === 6) ?? answers[0];
    if (!pick) throw new Error(`no addresses for ${host}`);
    if (isLocalhostName(host)) return { ip: pick.address };
    const records = await (pick.family === 6 ? resolver.resolve6(host, { ttl: true }) : resolver.resolve4(host, { ttl: true })).catch(() => []);
    const same = records.filter((r) => r.address === pick.address);
    return { ip: pick.address, ...(same.length > 0 ? { ttlSecs: Math.min(...same.map((r) => r.ttl)) } : {}) };
  };
}

interface NameState {
  answer?: Answer;
  /** Set while a lookup runs. */
  pending?: Promise<void>;
  timer?: NodeJS.Timeout;
  /** The last failure, logged once per failure streak. */
  failure?: string;
  /** Settles once the first lookup finished, answered or not. */
  readonly first: Promise<void>;
  firstDone: () => void;
}

export interface NameEvents {
  /** An answer appeared or changed: recompile. */
  changed: () => void;
  /** A lookup failed (the previous answer, if any, stays in use). */
  failed: (host: string, error: string, keptAnswer: string | undefined) => void;
}

/**
 * The host names of the current config and their answers. `track` sets which names are wanted
 * (new ones start resolving at once, names no longer wanted are forgotten); `address` is read
 * synchronously by the compiler. Every answer refreshes on its own timer.
 */
export class EndpointNames {
  private readonly names = new Map<string, NameState>();
  private readonly events = new EventEmitter();
  private changeQueued = false;
  private stopped = false;

  constructor(
    private readonly policy: NamePolicy = DEFAULT_NAME_POLICY,
    private readonly lookup: Lookup = systemLookup(),
  ) {}

  on<E extends keyof NameEvents>(event: E, listener: NameEvents[E]): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  /** The names the config uses now. */
  track(hosts: Iterable<string>): void {
    if (this.stopped) return;
    const wanted = new Set(hosts);
    for (const [host, state] of this.names) {
      if (wanted.has(host)) continue;
      clearTimeout(state.timer);
      state.firstDone();
      this.names.delete(host);
    }
    for (const host of wanted) {
      if (this.names.has(host)) continue;
      let firstDone = (): void => undefined;
      const first = new Promise<void>((resolve) => (firstDone = resolve));
      const state: NameState = { first, firstDone };
      this.names.set(host, state);
      this.refresh(host, state);
    }
  }

  /** The address in use for `host`, or undefined while it has none. */
  address(host: string): string | undefined {
    return this.names.get(host)?.answer?.ip;
  }

  /** Waits until every tracked name has had its first answer or failure, at most `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all([...this.names.values()].map((s) => s.first)), timeout]);
    clearTimeout(timer);
  }

  get size(): number {
    return this.names.size;
  }

  stop(): void {
    this.stopped = true;
    for (const state of this.names.values()) {
      clearTimeout(state.timer);
      state.firstDone();
    }
    this.names.clear();
  }

  private refresh(host: string, state: NameState): void {
    state.pending = this.lookup(host).then(
      (answer) => this.answered(host, state, answer),
      (err: Error) => this.failedLookup(host, state, err.message),
    );
  }

  private answered(host: string, state: NameState, answer: Answer): void {
    if (this.names.get(host) !== state) return; // forgotten meanwhile
    const ip = net.isIP(answer.ip) ? answer.ip : undefined;
    if (ip === undefined) return this.failedLookup(host, state, `not an IP address: ${answer.ip}`);
    const changed = state.answer?.ip !== ip;
    state.answer = answer;
    state.failure = undefined;
    const ttlMs = answer.ttlSecs === undefined ? this.policy.ceilingMs : answer.ttlSecs * 1000;
    this.schedule(host, state, Math.min(this.policy.ceilingMs, Math.max(this.policy.floorMs, ttlMs)));
    state.firstDone();
    if (changed) this.queueChange();
  }

  private failedLookup(host: string, state: NameState, error: string): void {
    if (this.names.get(host) !== state) return;
    if (state.failure !== error) this.events.emit('failed', host, error, state.answer?.ip);
    state.failure = error;
    this.schedule(host, state, this.policy.retryMs);
    state.firstDone();
  }

  private schedule(host: string, state: NameState, delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => this.refresh(host, state), delayMs);
    state.timer.unref();
  }

  /** Several answers arriving together cause one recompile. */
  private queueChange(): void {
    if (this.changeQueued) return;
    this.changeQueued = true;
    queueMicrotask(() => {
      this.changeQueued = false;
      if (!this.stopped) this.events.emit('changed');
    });
  }
}
