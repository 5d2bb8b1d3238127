// SPDX-License-Identifier: Apache-2.0
// A Kubernetes API server double: list + watch of ConfigMaps and Agones GameServers over real HTTP,
// with resourceVersions, label selectors, paging, bookmarks, compaction (410 Gone) and fault injection.
import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Obj } from './objects';
import { servingCert } from './tls';

interface ResourceType {
  readonly plural: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly prefix: string;
}

const RESOURCES: readonly ResourceType[] = [
  { plural: 'configmaps', apiVersion: 'v1', kind: 'ConfigMap', prefix: '/api/v1' },
  { plural: 'gameservers', apiVersion: 'agones.dev/v1', kind: 'GameServer', prefix: '/apis/agones.dev/v1' },
];

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface HistoryEvent {
  readonly rv: number;
  readonly type: EventType;
  readonly plural: string;
  readonly object: Obj;
}

interface Watcher {
  readonly plural: string;
  readonly namespace: string;
  readonly selector: Selector;
  readonly res: http.ServerResponse;
  readonly timers: NodeJS.Timeout[];
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly watch: boolean;
  readonly query: Readonly<Record<string, string>>;
}

type Selector = (labels: Readonly<Record<string, string>>) => boolean;

/** Equality-based selectors (`a=b,c==d,e!=f`), which is what Quilkin's label selector needs. */
function parseSelector(text: string | null): Selector {
  if (!text) return () => true;
  const terms = text.split(',').map((term) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term.trim());
    if (!m) throw new Error(`unable to parse requirement: ${term}`);
    return { key: m[1], negate: m[2] === '!=', value: m[3] };
  });
  return (labels) => terms.every((t) => (labels[t.key] === t.value) !== t.negate);
}

function labelsOf(obj: Obj): Record<string, string> {
  return (obj.metadata.labels as Record<string, string> | undefined) ?? {};
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export interface ApiServerOptions {
  /** Bearer token the client must present (as a service account token would be). */
  readonly token?: string;
  /** How often an idle watch that asked for bookmarks gets one. */
  readonly bookmarkIntervalMs?: number;
  /** Write every event line in two TCP writes, so the client must join chunks into lines. */
  readonly splitEventLines?: boolean;
}

export class KubeApiServerDouble {
  readonly token: string;
  readonly requests: RequestRecord[] = [];
  readonly bookmarksSent: Array<{ plural: string; resourceVersion: string }> = [];
  private readonly server: https.Server;
  /** PEM of the serving certificate, which is also its CA (for the kubeconfig). */
  readonly caCert: string;
  private readonly objects = new Map<string, Map<string, Obj>>(RESOURCES.map((r) => [r.plural, new Map()]));
  private readonly history: HistoryEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private revision = 100;
  private compactedThrough = 0;
  private failures: Array<{ code: number; message: string }> = [];
  private port = 0;

  constructor(private readonly options: ApiServerOptions = {}) {
    this.token = options.token ?? 'test-service-account-token';
    const tls = servingCert();
    this.caCert = tls.cert;
    this.server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => this.handle(req, res));
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  get resourceVersion(): string {
    return String(this.revision);
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Stops listening and cuts every connection: clients get "connection refused" until resume(). */
  async pause(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async resume(): Promise<void> {
    await this.listen(this.port);
  }

  /** Creates or replaces an object (ADDED or MODIFIED), as `kubectl apply` would. */
  apply(object: Obj): string {
    const plural = this.pluralOf(object);
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    const store = this.objects.get(plural)!;
    const previous = store.get(key);
    const stored: Obj = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    stored.metadata.creationTimestamp = (previous?.metadata.creationTimestamp as string | undefined) ?? new Date().toISOString();
    if (previous) stored.metadata.uid = previous.metadata.uid;
    store.set(key, stored);
    this.record({ rv: this.revision, type: previous ? 'MODIFIED' : 'ADDED', plural, object: stored }, previous);
    return stored.metadata.resourceVersion as string;
  }

  delete(kind: string, namespace: string, name: string): void {
    const plural = RESOURCES.find((r) => r.kind === kind)?.plural;
    if (!plural) throw new Error(`unknown kind ${kind}`);
    const store = this.objects.get(plural)!;
    const previous = store.get(`${namespace}/${name}`);
    if (!previous) throw new Error(`${kind} ${namespace}/${name} does not exist`);
    store.delete(`${namespace}/${name}`);
    const tombstone: Obj = structuredClone(previous);
    tombstone.metadata.resourceVersion = String(++this.revision);
    this.record({ rv: this.revision, type: 'DELETED', plural, object: tombstone }, previous);
  }

  /** Forgets the event history, as etcd compaction does: resuming from an older version gets 410 Gone. */
  compact(): void {
    this.compactedThrough = this.revision;
    this.history.length = 0;
  }

  /** Ends every open watch with an ERROR event: 410 is what a server whose watch cache fell behind sends. */
  expireWatches(code = 410, message = 'too old resource version'): void {
    for (const w of [...this.watchers]) {
      this.writeEvent(w, { type: 'ERROR', object: status(code, code === 410 ? 'Expired' : 'InternalError', message) });
      this.endWatch(w);
    }
  }

  /** Cuts every watch connection mid-stream (no final chunk), like a dropped network path. */
  dropWatches(): void {
    for (const w of [...this.watchers]) {
      this.stopWatcher(w);
      w.res.socket?.destroy();
    }
  }

  /** The next `count` requests are answered with this HTTP error. */
  failNext(count: number, code = 503, message = 'the server is currently unable to handle the request'): void {
    for (let i = 0; i < count; i++) this.failures.push({ code, message });
  }

  clearFailures(): void {
    this.failures = [];
  }

  countRequests(filter: Partial<Pick<RequestRecord, 'watch'>> & { plural?: string }): number {
    return this.requests.filter((r) => (filter.watch === undefined || r.watch === filter.watch) && (!filter.plural || r.path.endsWith(`/${filter.plural}`)))
      .length;
  }

  private pluralOf(object: Obj): string {
    const type = RESOURCES.find((r) => r.kind === object.kind && r.apiVersion === object.apiVersion);
    if (!type) throw new Error(`the double does not serve ${object.apiVersion} ${object.kind}`);
    return type.plural;
  }

  private record(event: HistoryEvent, previous: Obj | undefined): void {
    this.history.push(event);
    for (const w of this.watchers) {
      if (w.plural !== event.plural || w.namespace !== event.object.metadata.namespace) continue;
      const now = event.type !== 'DELETED' && w.selector(labelsOf(event.object));
      const before = previous !== undefined && w.selector(labelsOf(previous));
      // Objects entering or leaving a label selector appear to the watcher as added or deleted.
      if (now && !before) this.writeEvent(w, { type: 'ADDED', object: event.object });
      else if (now && before) this.writeEvent(w, { type: event.type, object: event.object });
      else if (!now && before) this.writeEvent(w, { type: 'DELETED', object: event.object });
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://double');
    const query = Object.fromEntries(url.searchParams.entries());
    const watch = query.watch === 'true' || query.watch === '1';
    this.requests.push({ method: req.method ?? '', path: url.pathname, watch, query });
    const reply = (code: number, body: unknown): void => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return reply(401, status(401, 'Unauthorized', 'Unauthorized'));
    const failure = this.failures.shift();
    if (failure) return reply(failure.code, status(failure.code, 'ServiceUnavailable', failure.message));
    const route = this.route(url.pathname);
    if (!route || req.method !== 'GET')
      return reply(404, status(404, 'NotFound', `the server could not find the requested resource (${req.method} ${url.pathname})`));
    let selector: Selector;
    try {
      selector = parseSelector(url.searchParams.get('labelSelector'));
    } catch (err) {
      return reply(400, status(400, 'BadRequest', (err as Error).message));
    }
    if (watch) return this.startWatch(route, selector, url.searchParams, res);
    const listed = this.list(route, selector, url.searchParams);
    reply(listed.code, listed.body);
  }

  private route(path: string): { type: ResourceType; namespace: string } | undefined {
    for (const type of RESOURCES) {
      const m = new RegExp(`^${type.prefix}/namespaces/([a-z0-9-]+)/${type.plural}$`).exec(path);
      if (m) return { type, namespace: m[1] };
    }
    return undefined;
  }

  private matching(plural: string, namespace: string, selector: Selector): Obj[] {
    return [...this.objects.get(plural)!.values()]
      .filter((o) => o.metadata.namespace === namespace && selector(labelsOf(o)))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }

  /** A list, paged with `limit`/`continue`; a continue token older than the last compaction is 410. */
  private list(route: { type: ResourceType; namespace: string }, selector: Selector, params: URLSearchParams): { code: number; body: unknown } {
    let items = this.matching(route.type.plural, route.namespace, selector);
    const token = params.get('continue');
    if (token) {
      const parsed = JSON.parse(Buffer.from(token, 'base64').toString()) as { rv: number; after: string };
      if (parsed.rv <= this.compactedThrough)
        return { code: 410, body: status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.') };
      items = items.filter((o) => o.metadata.name > parsed.after);
    }
    const limit = Number(params.get('limit') ?? '0');
    let next: string | undefined;
    if (limit > 0 && items.length > limit) {
      items = items.slice(0, limit);
      next = Buffer.from(JSON.stringify({ rv: this.revision, after: items[items.length - 1].metadata.name })).toString('base64');
    }
    const listItems = items.map((o) => {
      const { apiVersion: _a, kind: _k, ...rest } = o;
      return rest;
    });
    return {
      code: 200,
      body: {
        apiVersion: route.type.apiVersion,
        kind: `${route.type.kind}List`,
        metadata: { resourceVersion: String(this.revision), ...(next ? { continue: next } : {}) },
        items: listItems,
      },
    };
  }

  private startWatch(route: { type: ResourceType; namespace: string }, selector: Selector, params: URLSearchParams, res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const w: Watcher = { plural: route.type.plural, namespace: route.namespace, selector, res, timers: [] };
    const rvText = params.get('resourceVersion') ?? '';
    const from = rvText === '' || rvText === '0' ? undefined : Number(rvText);
    if (from !== undefined && from < this.compactedThrough) {
      this.writeEvent(w, { type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.compactedThrough})`) });
      res.end();
      return;
    }
    this.watchers.add(w);
    res.on('close', () => this.stopWatcher(w));
    if (from === undefined) {
      for (const o of this.matching(w.plural, w.namespace, selector)) this.writeEvent(w, { type: 'ADDED', object: o });
    } else {
      for (const e of this.history) {
        if (e.rv > from && e.plural === w.plural && e.object.metadata.namespace === w.namespace && selector(labelsOf(e.object))) {
          this.writeEvent(w, { type: e.type, object: e.object });
        }
      }
    }
    const timeout = Number(params.get('timeoutSeconds') ?? '0');
    if (timeout > 0) w.timers.push(setTimeout(() => this.endWatch(w), timeout * 1000));
    if (params.get('allowWatchBookmarks') === 'true') {
      const interval = this.options.bookmarkIntervalMs ?? 500;
      const bookmark = (): void => {
        this.writeEvent(w, {
          type: 'BOOKMARK',
          object: { kind: route.type.kind, apiVersion: route.type.apiVersion, metadata: { resourceVersion: String(this.revision) } },
        });
        this.bookmarksSent.push({ plural: w.plural, resourceVersion: String(this.revision) });
      };
      w.timers.push(setInterval(bookmark, interval));
    }
  }

  private writeEvent(w: Watcher, event: { type: string; object: unknown }): void {
    if (w.res.writableEnded || w.res.destroyed) return;
    const line = `${JSON.stringify(event)}\n`;
    if (!this.options.splitEventLines) {
      w.res.write(line);
      return;
    }
    const cut = Math.floor(line.length / 2);
    w.res.write(line.slice(0, cut));
    w.res.write(line.slice(cut));
  }

  private stopWatcher(w: Watcher): void {
    for (const t of w.timers) clearTimeout(t);
    this.watchers.delete(w);
  }

  private endWatch(w: Watcher): void {
    this.stopWatcher(w);
    if (!w.res.writableEnded) w.res.end();
  }
}

/** A kubeconfig pointing kubectl-style clients at the double with its bearer token. */
export function kubeconfigYaml(server: string, token: string, caCert: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: double',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${Buffer.from(caCert).toString('base64')}`,
    'users:',
    '- name: quilkin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: double',
    '  context:',
    '    cluster: double',
    '    user: quilkin',
    'current-context: double',
    '',
  ].join('\n');
}
