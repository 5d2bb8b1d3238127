// SPDX-License-Identifier: Apache-2.0
// The TCP listener in front of an xDS/mDS gRPC server. grpc-js's own bind accepts every
// connection, so an attacker could hold thousands of idle HTTP/2 sessions (fds and memory) while
// opening no stream at all; we accept connections ourselves, cap them in total and per remote
// IP, and hand the admitted sockets, unchanged, to grpc-js through its connection injector.
import type * as grpc from '@grpc/grpc-js';
import * as net from 'node:net';
import { serverCredentials } from '../../proto/tls';
import type { XdsMetrics } from '../../proto/xds-metrics';
import type { LogThrottle } from '../../runtime/log-throttle';
import { peerIp } from './peer-ip';
import { StreamLimiter } from './stream-limiter';

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerPeer: number;
}

export interface GuardedListener {
  readonly port: number;
  close(): void;
}

/** Listens on host:port (dual stack for `::`) and injects every admitted connection into `server`. */
export async function listenGuarded(
  server: grpc.Server,
  host: string,
  port: number,
  limits: ConnectionLimits,
  metrics: XdsMetrics,
  refusals: LogThrottle,
): Promise<GuardedListener> {
  // TLS, when configured, is done by grpc-js on the injected socket, after our caps.
  const injector = server.createConnectionInjector(serverCredentials());
  const connections = new StreamLimiter(limits.maxConnections, limits.maxConnectionsPerPeer);
  const open = new Set<net.Socket>();
  const listener = net.createServer((socket) => {
    const ip = peerIp(socket.remoteAddress ?? '');
    const admission = connections.admit(ip);
    if (!admission.ok) {
      const reason = admission.hit === 'total' ? 'connection limit' : 'peer connection limit';
      metrics.connectionsRefused.inc({ reason });
      refusals.note('refusing xDS connection', { peer: ip, reason, limit: admission.hit === 'total' ? limits.maxConnections : limits.maxConnectionsPerPeer });
      socket.destroy();
      return;
    }
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      admission.release();
    });
    injector.injectConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', (err) => reject(err));
    listener.listen({ host, port, ipv6Only: false }, () => resolve());
  });
  return {
    port: (listener.address() as net.AddressInfo).port,
    close: () => {
      listener.close();
      injector.destroy();
      for (const socket of open) socket.destroy();
    },
  };
}
