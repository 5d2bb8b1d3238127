// SPDX-License-Identifier: Apache-2.0
// /debug/pprof/profile on a real admin server: a gzipped pprof CPU profile of this process that
// pprof-format decodes, one profile at a time, bad `seconds` refused, the request outliving the
// admin idle and request timeouts, /metrics answered while it runs, a client that leaves freeing
// the slot.
import { expect } from 'chai';
import * as http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { type AdminServer, startAdmin } from '../../runtime/admin';
import { QuilkinMetrics } from '../../runtime/metrics';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A GET that keeps the body as sent (fetch would undo the Content-Encoding). */
function get(port: number, path: string, signal?: AbortSignal): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, signal, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Burns CPU in a function the profile must name, in slices so the event loop keeps turning. */
/** Burns CPU in 5 ms slices (the loop still serves the request) until `done` settles or `maxMs` passes. */
function burnCpuUntil(done: Promise<unknown>, maxMs: number): Promise<void> {
  let finished = false;
  void done.finally(() => (finished = true));
  const until = Date.now() + maxMs;
  return new Promise((resolve) => {
    const tick = (): void => {
      const sliceEnd = Math.min(until, Date.now() + 5);
      let x = 0;
      while (Date.now() < sliceEnd) x += Math.sqrt(Math.random());
      if (x < 0) throw new Error('unreachable');
      if (!finished && Date.now() < until) setImmediate(tick);
      else resolve();
    };
    tick();
  });
}

describe('admin server: /debug/pprof/profile', function () {
  this.timeout(30000);
  let admin: AdminServer;
  before(async () => {
    // Idle and request timeouts far below the profile's length: the profile must outlive them.
    admin = await startAdmin({
      address: '127.0.0.1:0',
      metrics: new QuilkinMetrics(),
      ready: () => true,
      config: () => ({}),
      limits: { idleTimeoutMs: 300, headersTimeoutMs: 300, requestTimeoutMs: 400, keepAliveTimeoutMs: 300 },
    });
  });
  after(async () => admin?.close());

  it('returns a 1 s CPU profile as gzipped pprof with cpu/nanoseconds samples of this process', async () => {
    const profile = get(admin.port, '/debug/pprof/profile?seconds=1');
    // Burn for the whole profile, however late a loaded machine starts it.
    await burnCpuUntil(profile, 10_000);
    const reply = await profile;
    expect(reply.status).to.equal(200);
    expect(reply.headers['content-type']).to.equal('application/octet-stream');
    expect(reply.headers['content-encoding']).to.equal('gzip');
    expect(Number(reply.headers['content-length'])).to.equal(reply.body.length);
    expect([reply.body[0], reply.body[1]]).to.deep.equal([0x1f, 0x8b]);
    const decoded = Profile.decode(gunzipSync(reply.body));
    const str = (i: number | bigint): string => decoded.stringTable.strings[Number(i)];
    expect(decoded.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).to.include('cpu/nanoseconds');
    expect(decoded.sample.length).to.be.above(0);
    const cpu = decoded.sampleType.findIndex((t) => str(t.type) === 'cpu');
    const cpuNs = decoded.sample.reduce((sum, s) => sum + Number(s.value[cpu]), 0);
    // Most of the profiled second was burning (at least a third, for a loaded CI machine) and no
    // more CPU than the profile's wall time was reported (one sampling period of slack). On a
    // loaded machine the profile may stop late, so the wall time is its own, not the second asked.
    const wallNs = Number(decoded.durationNanos);
    expect(wallNs).to.be.within(0.9e9, 5e9);
    expect(cpuNs).to.be.within(300e6, wallNs + Number(decoded.period));
    expect(decoded.function.map((f) => str(f.name))).to.include('tick');
  });

  it('refuses a second profile while one runs (409, Retry-After) and serves /metrics meanwhile', async () => {
    const first = get(admin.port, '/debug/pprof/profile?seconds=2');
    await new Promise((r) => setTimeout(r, 300));
    const second = await get(admin.port, '/debug/pprof/profile?seconds=1');
    expect(second.status).to.equal(409);
    expect(Number(second.headers['retry-after'])).to.be.within(1, 2);
    expect(second.body.toString()).to.match(/already being taken/);
    const started = Date.now();
    const metrics = await get(admin.port, '/metrics');
    expect(metrics.status).to.equal(200);
    expect(Date.now() - started).to.be.below(1000);
    expect((await first).status).to.equal(200);
  });

  it('refuses bad seconds with 400 and the accepted range', async () => {
    for (const query of ['seconds=0', 'seconds=301', 'seconds=1.5', 'seconds=abc', 'seconds=']) {
      const reply = await get(admin.port, `/debug/pprof/profile?${query}`);
      expect(reply.status, query).to.equal(400);
      expect(reply.body.toString(), query).to.match(/whole number of seconds from 1 to 300/);
    }
  });

  it('ends the profile when the client leaves, so the next one can start at once', async () => {
    const leave = new AbortController();
    const abandoned = get(admin.port, '/debug/pprof/profile?seconds=60', leave.signal).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 300));
    leave.abort();
    expect(await abandoned).to.be.instanceOf(Error);
    const deadline = Date.now() + 5000;
    let next: Reply;
    do {
      await new Promise((r) => setTimeout(r, 100));
      next = await get(admin.port, '/debug/pprof/profile?seconds=1');
    } while (next.status === 409 && Date.now() < deadline);
    expect(next.status).to.equal(200);
  });
});
