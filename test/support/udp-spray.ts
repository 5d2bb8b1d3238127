// SPDX-License-Identifier: Apache-2.0
// A spraying host for flood tests: every datagram from a fresh socket, so from a new source
// port, at a fixed rate for a bounded time. Runs as its own process (its descriptors and event
// loop stay out of the test's): node dist/test/support/udp-spray.js HOST PORT FROM RATE SECONDS.
// Prints {"sent":N,"errors":N} when done.
import * as dgram from 'node:dgram';

const TICK_MS = 10;

async function spray(host: string, port: number, from: string, rate: number, seconds: number): Promise<{ sent: number; errors: number }> {
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const total = Math.round(rate * seconds);
  const payload = Buffer.from('spray');
  let started = 0;
  let sent = 0;
  let errors = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const s = dgram.createSocket(from.includes(':') ? 'udp6' : 'udp4');
      const done = (): void => {
        s.close(() => resolve());
      };
      s.once('error', () => {
        errors++;
        done();
      });
      s.bind(0, from, () =>
        s.send(payload, port, host, (err) => {
          if (err) errors++;
          else sent++;
          done();
        }),
      );
    });
  const begin = Date.now();
  while (started < total && Date.now() - begin < seconds * 1000 + 5000) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < perTick && started < total; i++, started++) batch.push(one());
    await Promise.all(batch);
    const due = begin + (started / rate) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  }
  return { sent, errors };
}

const [host, port, from, rate, seconds] = process.argv.slice(2);
if (!host || !port || !from || !rate || !seconds) {
  process.stderr.write('usage: udp-spray HOST PORT FROM RATE SECONDS\n');
  process.exit(2);
}
void spray(host, Number(port), from, Number(rate), Number(seconds)).then((r) => process.stdout.write(JSON.stringify(r) + '\n'));
