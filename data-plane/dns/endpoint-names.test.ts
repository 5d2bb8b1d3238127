// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import * as dns from 'node:dns';
import { type Answer, EndpointNames, type Lookup, type NamePolicy, systemLookup } from './endpoint-names';

const POLICY: NamePolicy = { floorMs: 40, ceilingMs: 400, retryMs: 30 };

/** A scripted DNS: each host answers from its queue (the last entry repeats); every query is recorded. */
function scripted(script: Record<string, Array<Answer | Error>>): { lookup: Lookup; queries: string[] } {
  const queries: string[] = [];
  const lookup: Lookup = async (host) => {
    queries.push(host);
    const queue = script[host] ?? [new Error(`ENOTFOUND ${host}`)];
    const next = queue.length > 1 ? queue.shift()! : queue[0];
    if (next instanceof Error) throw next;
    return next;
  };
  return { lookup, queries };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('endpoint names (the one DNS policy)', () => {
  let names: EndpointNames | undefined;
  afterEach(() => names?.stop());

  it('answers tracked names once their first lookup settles, and forgets names no longer tracked', async () => {
    const { lookup } = scripted({ 'a.test': [{ ip: '2001:db8::1', ttlSecs: 30 }], 'b.test': [{ ip: '192.0.2.7' }] });
    names = new EndpointNames(POLICY, lookup);
    names.track(['a.test', 'b.test']);
    expect(names.address('a.test')).to.equal(undefined);
    await names.settle(1000);
    expect(names.address('a.test')).to.equal('2001:db8::1');
    expect(names.address('b.test')).to.equal('192.0.2.7');
    names.track(['a.test']);
    expect(names.address('b.test')).to.equal(undefined);
    expect(names.size).to.equal(1);
  });

  it('keeps the answer across a re-track (a reload) without asking again', async () => {
    const { lookup, queries } = scripted({ 'a.test': [{ ip: '192.0.2.1', ttlSecs: 60 }] });
    names = new EndpointNames(POLICY, lookup);
    names.track(['a.test']);
    await names.settle(1000);
    for (let i = 0; i < 20; i++) names.track(['a.test']);
    expect(names.address('a.test')).to.equal('192.0.2.1');
    expect(queries).to.deep.equal(['a.test']);
  });

  it('refreshes at the record TTL clamped to the floor and ceiling', async () => {
    // TTL 0 would be a query storm: the floor (40 ms) holds it. TTL 3600 s is held to the ceiling.
    const zero = scripted({ 'z.test': [{ ip: '192.0.2.1', ttlSecs: 0 }] });
    names = new EndpointNames(POLICY, zero.lookup);
    names.track(['z.test']);
    await sleep(200);
    names.stop();
    expect(zero.queries.length).to.be.within(3, 6); // 200 ms / 40 ms floor, plus the first
    const long = scripted({ 'l.test': [{ ip: '192.0.2.2', ttlSecs: 3600 }] });
    names = new EndpointNames(POLICY, long.lookup);
    names.track(['l.test']);
    await sleep(600);
    expect(long.queries.length).to.equal(2); // the first, then one at the 400 ms ceiling
  });

  it('keeps the previous answer when a refresh fails, reports the failure once, and retries', async () => {
    const { lookup, queries } = scripted({
      'a.test': [{ ip: '192.0.2.1', ttlSecs: 0 }, new Error('SERVFAIL'), new Error('SERVFAIL'), { ip: '192.0.2.9', ttlSecs: 60 }],
    });
    names = new EndpointNames(POLICY, lookup);
    const failures: Array<[string, string, string | undefined]> = [];
    let changes = 0;
    names.on('failed', (host, error, kept) => failures.push([host, error, kept]));
    names.on('changed', () => changes++);
    names.track(['a.test']);
    await names.settle(1000);
    await sleep(90); // floor 40 ms -> SERVFAIL, retry 30 ms -> SERVFAIL
    expect(names.address('a.test')).to.equal('192.0.2.1');
    await sleep(80);
    expect(names.address('a.test')).to.equal('192.0.2.9');
    expect(failures).to.deep.equal([['a.test', 'SERVFAIL', '192.0.2.1']]);
    expect(changes).to.equal(2); // the first answer, then the new address
    expect(queries.length).to.equal(4);
  });

  it('signals one change for answers that arrive together, and none when a refresh repeats the answer', async () => {
    const { lookup } = scripted({ 'a.test': [{ ip: '192.0.2.1', ttlSecs: 0 }], 'b.test': [{ ip: '192.0.2.2', ttlSecs: 0 }] });
    names = new EndpointNames(POLICY, lookup);
    let changes = 0;
    names.on('changed', () => changes++);
    names.track(['a.test', 'b.test']);
    await names.settle(1000);
    await sleep(10);
    expect(changes).to.equal(1);
    await sleep(100); // refreshed twice at the floor, same answers
    expect(changes).to.equal(1);
  });

  it('refuses an answer that is not an IP address', async () => {
    const { lookup } = scripted({ 'a.test': [{ ip: 'not-an-ip' }] });
    names = new EndpointNames(POLICY, lookup);
    const failures: string[] = [];
    names.on('failed', (_, error) => failures.push(error));
    names.track(['a.test']);
    await names.settle(1000);
    expect(names.address('a.test')).to.equal(undefined);
    expect(failures).to.deep.equal(['not an IP address: not-an-ip']);
  });

  it('settle gives up after its timeout when a lookup hangs', async () => {
    names = new EndpointNames(POLICY, () => new Promise<Answer>(() => undefined));
    names.track(['slow.test']);
    const started = Date.now();
    await names.settle(50);
    expect(Date.now() - started).to.be.below(500);
    expect(names.address('slow.test')).to.equal(undefined);
  });

  it('the system lookup prefers IPv6 and answers localhost names without a DNS query', async () => {
    // RFC 6761: localhost never goes to a server; the hosts file gives ::1 and 127.0.0.1.
    const all = await dns.promises.lookup('localhost', { all: true });
    const answer = await systemLookup()('localhost');
    expect(answer.ip).to.equal((all.find((a) => a.family === 6) ?? all[0]).address);
    expect(answer.ttlSecs).to.equal(undefined);
  });
});
