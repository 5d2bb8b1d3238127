// SPDX-License-Identifier: Apache-2.0
// A UDP peer run as its own process inside a test namespace (tests spawn it with
// `ip netns exec NS node dist/test/support/udp-peer-cli.js ...`). Prints one JSON line per event.
//   server HOST PORT[,PORT...] LIFETIME_MS [ECHO_ONLY]
//       echo every datagram back (with ECHO_ONLY: only those whose text contains it), print {port, from, text}
//   client HOST PORT COUNT INTERVAL_MS WAIT_MS PAYLOAD_HEX...
//       sends COUNT rounds, one datagram per payload (each prefixed "<seq>:"), prints every reply
//       {reply, text} and finally {done, sent}; exits after WAIT_MS without replies past the last send.
// Both stop by themselves: the server after LIFETIME_MS, the client after its rounds.
import * as dgram from 'node:dgram';

function print(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

function server(host: string, ports: number[], lifetimeMs: number, echoOnly?: string): void {
  const type = host.includes(':') ? 'udp6' : 'udp4';
  const sockets = ports.map((port) => {
    const s = dgram.createSocket(type);
    s.on('message', (data, rinfo) => {
      print({ port, from: `${rinfo.address}:${rinfo.port}`, text: data.toString('latin1') });
      if (!echoOnly || data.toString('latin1').includes(echoOnly)) s.send(data, rinfo.port, rinfo.address);
    });
    s.bind(port, host, () => print({ listening: port }));
    return s;
  });
  setTimeout(() => {
    for (const s of sockets) s.close();
  }, lifetimeMs).unref();
  setTimeout(() => process.exit(0), lifetimeMs);
}

function client(host: string, port: number, count: number, intervalMs: number, waitMs: number, payloads: Buffer[]): void {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  let sent = 0;
  s.on('message', (data) => print({ reply: true, text: data.toString('latin1') }));
  s.bind(0, () => {
    let round = 0;
    const tick = (): void => {
      for (const p of payloads) {
        s.send(Buffer.concat([Buffer.from(`${round}:`), p]), port, host);
        sent++;
      }
      round++;
      if (round < count) setTimeout(tick, intervalMs);
      else
        setTimeout(() => {
          print({ done: true, sent });
          s.close();
        }, waitMs);
    };
    tick();
  });
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'server') server(args[0], args[1].split(',').map(Number), Number(args[2]), args[3]);
else if (mode === 'client')
  client(
    args[0],
    Number(args[1]),
    Number(args[2]),
    Number(args[3]),
    Number(args[4]),
    args.slice(5).map((h) => Buffer.from(h, 'hex')),
  );
else {
  process.stderr.write('usage: udp-peer-cli server HOST PORTS LIFETIME_MS [ECHO_ONLY] | client HOST PORT COUNT INTERVAL_MS WAIT_MS PAYLOAD_HEX...\n');
  process.exit(2);
}
