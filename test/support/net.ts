// SPDX-License-Identifier: Apache-2.0
// Loopback helpers for end-to-end tests: free ports, echo servers, UDP clients.
import * as fs from 'node:fs';
import * as dgram from 'node:dgram';
import * as net from 'node:net';

/** Ports handed out by this process: the kernel may offer a just-closed port again, and two
 *  freePort() calls for one command line (game port, QCMP port) must never agree. */
const handedOut = new Set<number>();

/** A port that was free a moment ago (UDP and TCP both checked), never the same one twice. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const p = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp6');
      s.once('error', () => resolve(false));
      s.bind(port, '::', () => s.close(() => resolve(true)));
    });
    if (udpFree && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export interface UdpPeer {
  readonly port: number;
  readonly socket: dgram.Socket;
  /** Every datagram received, with its source. */
  readonly received: Array<{ data: Buffer; from: string }>;
  close(): Promise<void>;
}

/** A UDP server on loopback; `reply` decides what (if anything) goes back to each sender. */
export async function udpServer(reply: ((data: Buffer) => Buffer | undefined) | 'echo' = 'echo', host = '127.0.0.1'): Promise<UdpPeer> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const received: UdpPeer['received'] = [];
  socket.on('message', (data, rinfo) => {
    received.push({ data, from: `${rinfo.address}:${rinfo.port}` });
    const out = reply === 'echo' ? data : reply(data);
    if (out) socket.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { port: socket.address().port, socket, received, close: () => new Promise((r) => socket.close(() => r())) };
}

/** A client socket that collects replies. */
export async function udpClient(host = '127.0.0.1'): Promise<UdpPeer & { send(data: Buffer | string, port: number, to?: string): void }> {
  const peer = await udpServer(() => undefined, host);
  return { ...peer, send: (data, port, to = host) => peer.socket.send(typeof data === 'string' ? Buffer.from(data) : data, port, to) };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The kernel's UDP receive-buffer overflows so far (this network namespace, all sockets). */
export function udpReceiveBufferErrors(): number {
  const rows = [...fs.readFileSync('/proc/net/snmp', 'utf8').matchAll(/^Udp: (.*)$/gm)].map((m) => m[1]!.split(' '));
  const at = rows[0]?.indexOf('RcvbufErrors') ?? -1;
  return at < 0 ? 0 : Number(rows[1]![at]);
}
