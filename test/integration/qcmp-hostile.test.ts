// SPDX-License-Identifier: Apache-2.0
// The QCMP port under junk: pongs, malformed QCMP, non-QCMP and port-0 sources are each counted
// and logged at most once per interval (with a count), and real pings are still answered.
import { expect } from 'chai';
import { decodeQcmp, encodePing, encodePong } from '../../data-plane/qcmp/codec';
import { type QcmpServer, startQcmpServer } from '../../data-plane/qcmp/server';
import { QuilkinMetrics } from '../../runtime/metrics';
import { sample } from '../support/metrics-text';
import { eventually, freePort, udpClient, udpReceiveBufferErrors, type UdpPeer } from '../support/net';
import { startQuilkin, stopAllQuilkin } from '../support/proxy-process';
import { canSendRaw, sendRawUdp4 } from '../support/raw-udp';

const GEO = 'asn="",ip_prefix=""';
const dropped = (text: string, source: string): number => sample(text, `quilkin_packets_dropped_total{event="read",source="${source}",${GEO}}`);

/** Sends in bursts with a pause between them, so loopback never overflows the receive buffer. */
async function paced(client: UdpPeer & { send(d: Buffer, port: number): void }, datagrams: Buffer[], port: number, burst = 100): Promise<void> {
  for (let i = 0; i < datagrams.length; i++) {
    client.send(datagrams[i], port);
    if (i % burst === burst - 1) await new Promise((r) => setTimeout(r, 5));
  }
}

describe('QCMP server: hostile datagrams', function () {
  this.timeout(30000);
  let server: QcmpServer | undefined;
  const peers: UdpPeer[] = [];
  afterEach(async () => {
    await server?.close();
    server = undefined;
    for (const p of peers.splice(0)) await p.close();
    await stopAllQuilkin();
  });

  it('counts every pong, malformed and non-QCMP datagram and still answers pings', async () => {
    const metrics = new QuilkinMetrics();
    server = await startQcmpServer(0, '127.0.0.1', { metrics });
    const client = await udpClient();
    peers.push(client);
    const pong = encodePong(1, 1n, 2n, 3n);
    const badVersion = Buffer.from(encodePing(2, 5n));
    badVersion[4] = 9;
    const junk = [...Array(300).fill(pong), ...Array(300).fill(badVersion), ...Array(300).fill(Buffer.from('hello, not qcmp at all'))];
    const overflowsBefore = udpReceiveBufferErrors();
    await paced(client, junk, server.port);
    // Every datagram the kernel delivered is counted; on a loaded machine loopback may still
    // overflow a receive buffer, which the kernel counts (and which is not under test here).
    let counts = { pong: 0, malformed: 0, lost: 0 };
    await eventually(
      async () => {
        const text = await metrics.render();
        counts = {
          pong: dropped(text, 'qcmp::pong on the server port'),
          malformed: dropped(text, 'qcmp::malformed packet'),
          lost: udpReceiveBufferErrors() - overflowsBefore,
        };
        return counts.pong + counts.malformed + counts.lost >= 900;
      },
      10000,
      'every junk datagram counted',
    );
    expect(counts.pong, JSON.stringify(counts)).to.be.within(300 - counts.lost, 300);
    expect(counts.malformed, JSON.stringify(counts)).to.be.within(600 - counts.lost, 600);
    client.send(encodePing(42, 7n), server.port);
    await eventually(() => client.received.some((r) => decodeQcmp(r.data)?.nonce === 42), 5000, 'the pong');
  });

  it('drops a ping from source port 0 (counted) instead of replying to it', async function () {
    if (!canSendRaw()) this.skip();
    const metrics = new QuilkinMetrics();
    server = await startQcmpServer(0, '127.0.0.1', { metrics });
    sendRawUdp4([{ src: '127.0.0.1', srcPort: 0, dst: '127.0.0.1', dstPort: server.port, payload: encodePing(1, 1n) }]);
    await eventually(async () => dropped(await metrics.render(), 'invalid source address') === 1, 5000, 'the port-0 drop');
  });

  it('logs a flood of pongs as a few lines, not one warn per packet', async () => {
    const qcmp = await freePort();
    const proc = await startQuilkin(['proxy', '--backend', 'js', '--port', String(await freePort()), '--qcmp-port', String(qcmp), '--to', '127.0.0.1:9']);
    const client = await udpClient();
    peers.push(client);
    // Another process's receive buffer: gentler bursts, and a loaded machine may still lose a
    // few on loopback before the proxy sees them; what is under test is the log, not the kernel.
    await paced(client, Array(1000).fill(encodePong(1, 1n, 2n, 3n)), qcmp, 20);
    await eventually(async () => dropped((await proc.get('/metrics')).body, 'qcmp::pong on the server port') >= 990, 10000, '1000 pongs counted');
    const lines = proc
      .output()
      .split('\n')
      .filter((l) => l.includes('QCMP pong'));
    expect(lines.length, lines.join('\n')).to.be.at.most(2);
  });
});
