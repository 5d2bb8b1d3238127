// SPDX-License-Identifier: Apache-2.0
// The limit flags take effect in a real `quilkin manage` process: the admin connection cap and
// idle timeout, the per-peer xDS stream cap, and the request size bound; bad values are usage errors.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLUSTER_TYPE } from '../../proto/type-urls';
import { eventually, freePort } from '../support/net';
import { runQuilkin, startQuilkin, stopAllQuilkin } from '../support/proxy-process';
import { type DeltaStream, openDelta } from './plain-ads';

describe('limit flags on a quilkin manage process (loopback)', function () {
  this.timeout(30_000);
  let dir: string;
  const sockets: net.Socket[] = [];
  const streams: DeltaStream[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qkx-limits-'));
  });
  afterEach(async () => {
    sockets.splice(0).forEach((s) => s.destroy());
    streams.splice(0).forEach((s) => s.close());
    await stopAllQuilkin();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('caps admin connections and idles them out, caps streams per peer and bounds request size, as the flags say', async () => {
    const file = path.join(dir, 'quilkin.yaml');
    fs.writeFileSync(file, 'clusters: [{ endpoints: [{ address: 127.0.0.1:9000 }] }]\n');
    const xdsPort = await freePort();
    const manage = await startQuilkin([
      '--admin-max-connections',
      '3',
      '--admin-idle-timeout-secs',
      '1',
      'manage',
      '--provider',
      'fs',
      '-c',
      file,
      '--port',
      String(xdsPort),
      '--max-streams-per-peer',
      '2',
      '--max-grpc-request-size',
      '2048',
    ]);

    // Admin: five idle connections, of which the server keeps three, and those for about a second.
    const closedAt: number[] = [];
    const opened = Date.now();
    await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<void>((resolve) => {
            const s = net.connect(manage.adminPort, '127.0.0.1', () => resolve());
            s.on('error', () => resolve());
            s.on('close', () => closedAt.push(Date.now() - opened));
            sockets.push(s);
          }),
      ),
    );
    await eventually(() => closedAt.length === 2, 3000, 'two connections over the cap closed on accept');
    expect(Math.max(...closedAt)).to.be.below(900);
    await eventually(() => closedAt.length === 5, 5000, 'the three idle ones closed by the idle timeout');
    expect(Math.max(...closedAt)).to.be.within(900, 4000);

    // xDS: two streams per peer; the third is refused and counted.
    const open = (id: string): DeltaStream => {
      const s = openDelta(xdsPort);
      streams.push(s);
      s.send({ node: { id }, typeUrl: CLUSTER_TYPE });
      return s;
    };
    const a = open('proxy-a');
    const b = open('proxy-b');
    expect((await a.next(5000)).typeUrl).to.equal(CLUSTER_TYPE);
    expect((await b.next(5000)).typeUrl).to.equal(CLUSTER_TYPE);
    const c = open('proxy-c');
    expect((await c.failure(5000)).code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    a.close();
    await eventually(
      async () => (await manage.get('/metrics')).body.includes('quilkin_xds_streams_refused_total{reason="peer stream limit"} 1'),
      5000,
      'the refusal counted',
    );

    // A request over 2048 bytes is refused by size.
    const big = open('x'.repeat(100));
    big.send({ typeUrl: CLUSTER_TYPE, resourceNamesSubscribe: ['n'.repeat(4096)] });
    const bigErr = await big.failure(5000);
    expect(bigErr.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('rejects limit values that cannot work', async () => {
    const zero = await runQuilkin(['--admin-max-connections', '0', 'manage']);
    expect(zero.code).to.equal(2);
    expect(zero.output).to.contain('`0` is not a positive integer');
    const tiny = await runQuilkin(['--max-grpc-message-size', '100', 'manage']);
    expect(tiny.code).to.equal(2);
    expect(tiny.output).to.contain('`100` is not a message size in bytes (at least 1024)');
    const peer = await runQuilkin(['manage', '--max-streams-per-peer', 'many']);
    expect(peer.code).to.equal(2);
    expect(peer.output).to.contain('`many` is not a positive integer');
  });
});
