// SPDX-License-Identifier: Apache-2.0
// Sessions of the js backend: one upstream socket per (client, endpoint), idle expiry, a bound.
import type { EndpointAddress, SocketAddr } from '../../../config/address';
import { formatSocketAddr } from '../../../config/address';

export interface Session<S> {
  readonly key: string;
  readonly client: SocketAddr;
  readonly endpoint: EndpointAddress;
  readonly upstream: S;
  readonly createdAt: number;
  /** Refreshed by client -> server packets only, as in Quilkin. */
  lastSeen: number;
}

export function sessionKey(client: SocketAddr, endpoint: EndpointAddress): string {
  return `${formatSocketAddr(client)}|${endpoint.key}`;
}

/** A plain Map in insertion order; expiry scans it on a timer (cheap next to per-packet work). */
export class SessionTable<S> {
  private readonly sessions = new Map<string, Session<S>>();

  constructor(
    readonly maxSessions: number,
    readonly idleTimeoutMs: number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(key: string): Session<S> | undefined {
    return this.sessions.get(key);
  }

  get full(): boolean {
    return this.sessions.size >= this.maxSessions;
  }

  add(session: Session<S>): void {
    this.sessions.set(session.key, session);
  }

  /** Removes and returns the sessions idle for longer than the timeout. */
  expire(now: number): Session<S>[] {
    const expired: Session<S>[] = [];
    for (const session of this.sessions.values()) {
      if (now - session.lastSeen >= this.idleTimeoutMs) expired.push(session);
    }
    for (const session of expired) this.sessions.delete(session.key);
    return expired;
  }

  drain(): Session<S>[] {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    return all;
  }
}
