// SPDX-License-Identifier: Apache-2.0
// List + watch of one kind in one namespace, kept consistent across stream ends, 410 Gone and outages.
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import { logger } from '../../../runtime/logger';
import { Backoff, type BackoffPolicy } from './backoff';
import { asKubeObject, isRawMap, type KubeObject } from './kube-object';

const log = logger('k8s-reflector');

/** One page of a list call; `continueToken` is set while more pages follow. */
export interface ListPage {
  readonly items: readonly unknown[];
  readonly resourceVersion: string;
  readonly continueToken?: string;
}

export type ListPageFn = (continueToken: string | undefined) => Promise<ListPage>;

export interface ReflectorHandlers {
  /** A complete listing (first start or after a re-list): it replaces everything known before. */
  sync(objects: readonly KubeObject[]): void;
  upsert(object: KubeObject): void;
  remove(object: KubeObject): void;
  /** false while the API server cannot be reached (with the reason), true again after the next good answer. */
  health(healthy: boolean, reason?: string): void;
}

export interface ReflectorOptions {
  /** For logs, e.g. `gameservers in namespace default`. */
  readonly description: string;
  readonly kubeConfig: KubeConfig;
  /** The collection path the watch uses, e.g. `/api/v1/namespaces/default/configmaps`. */
  readonly watchPath: string;
  readonly labelSelector?: string;
  readonly list: ListPageFn;
  /** Asks the server to end each watch after this long, so a silently dead stream is noticed. */
  readonly watchTimeoutSeconds: number;
  readonly backoff: BackoffPolicy;
  /** Bounds a list call that would otherwise hang on an unresponsive server. */
  readonly listTimeoutMs?: number;
}

type WatchEnd = 'closed' | 'gone' | 'failed';

/** Raised by list calls and watch requests; client-node uses `code` (API calls) or `statusCode` (watch). */
function httpStatus(err: unknown): number | undefined {
  if (!isRawMap(err)) return undefined;
  const status = err.code ?? err.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** First lines of the error and its causes: client-node 2's fetch (undici) reports a refused or reset
 *  connection as "fetch failed" and keeps the reason (ECONNREFUSED, ...) in `cause`. */
function messageChain(err: unknown): string {
  const lines: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const line = (current instanceof Error ? current.message : String(current)).split('\n')[0];
    if (!lines.includes(line)) lines.push(line);
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join(': ');
}

function describe(err: unknown): string {
  const status = httpStatus(err);
  return status !== undefined ? `HTTP ${status}: ${messageChain(err)}` : messageChain(err);
}

export class Reflector {
  private resourceVersion: string | undefined;
  private stopped = false;
  private abortWatch: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private readonly backoff: Backoff;
  private readonly watcher: Watch;
  private running: Promise<void> | undefined;
  private hasSynced = false;
  private resolveFirstSync!: () => void;
  private readonly firstSync = new Promise<void>((resolve) => (this.resolveFirstSync = resolve));

  constructor(
    private readonly options: ReflectorOptions,
    private readonly handlers: ReflectorHandlers,
  ) {
    this.backoff = new Backoff(options.backoff);
    this.watcher = new Watch(options.kubeConfig);
  }

  /** Resolves after the first complete listing has been handed to `sync`; retries until then. */
  start(): Promise<void> {
    this.running ??= this.run();
    return this.firstSync;
  }

  /** True once the first complete listing has been handed over. */
  get synced(): boolean {
    return this.hasSynced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abortWatch?.();
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    let goneStreak = 0;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        const started = Date.now();
        const end = await this.watchOnce();
        if (this.stopped) return;
        if (end === 'gone') {
          log.info({ watch: this.options.description }, 'watch history expired (410 Gone); listing everything again');
          this.resourceVersion = undefined;
          // Back off only if the server keeps answering Gone right after a fresh list.
          if (goneStreak++ > 0) await this.sleep(this.backoff.next());
        } else {
          goneStreak = 0;
          if (end === 'failed') {
            this.resourceVersion = undefined;
            await this.sleep(this.backoff.next());
          } else if (Date.now() - started < 1000) await this.sleep(this.backoff.next());
        }
      } catch (err) {
        if (this.stopped) return;
        if (httpStatus(err) === 410) {
          this.resourceVersion = undefined;
          continue;
        }
        const delay = this.backoff.next();
        const reason = `${this.options.description}: ${describe(err)}`;
        this.handlers.health(false, reason);
        // The first failure and then every 20th are warnings; an outage should not flood the log.
        const level = this.backoff.failures % 20 === 1 ? 'warn' : 'debug';
        log[level](
          { watch: this.options.description, error: describe(err), retryInMs: delay, attempt: this.backoff.failures },
          'Kubernetes API request failed; retrying',
        );
        await this.sleep(delay);
      }
    }
  }

  private async relist(): Promise<void> {
    const objects: KubeObject[] = [];
    let token: string | undefined;
    let resourceVersion: string;
    do {
      const page = await this.withTimeout(this.options.list(token));
      for (const raw of page.items) {
        const obj = asKubeObject(raw);
        if (obj) objects.push(obj);
        else log.warn({ watch: this.options.description }, 'skipping a listed object without metadata.name');
      }
      token = page.continueToken ? page.continueToken : undefined;
      resourceVersion = page.resourceVersion;
    } while (token !== undefined && !this.stopped);
    if (this.stopped) return;
    this.handlers.sync(objects);
    this.resourceVersion = resourceVersion;
    this.hasSynced = true;
    this.succeeded();
    this.resolveFirstSync();
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    const ms = this.options.listTimeoutMs ?? 30000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`list did not answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  /** One watch stream from the current resourceVersion; resolves when it ends, rejects if it could not start. */
  private watchOnce(): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve, reject) => {
      let end: WatchEnd = 'closed';
      let finished = false;
      const params: Record<string, string | number | boolean> = {
        allowWatchBookmarks: true,
        timeoutSeconds: this.options.watchTimeoutSeconds,
        ...(this.resourceVersion !== undefined ? { resourceVersion: this.resourceVersion } : {}),
        ...(this.options.labelSelector !== undefined ? { labelSelector: this.options.labelSelector } : {}),
      };
      const onEvent = (type: string, object: unknown): void => {
        if (end === 'closed') end = this.handleEvent(type, object);
      };
      const onDone = (err: unknown): void => {
        finished = true;
        this.abortWatch = undefined;
        if (err && !this.stopped) reject(err);
        else resolve(end);
      };
      this.watcher.watch(this.options.watchPath, params, onEvent, onDone).then(
        (controller) => {
          if (finished) return;
          if (this.stopped) return controller.abort();
          this.abortWatch = () => controller.abort();
          // The server accepted the watch (HTTP 200): it is reachable again even if nothing changes.
          this.succeeded();
        },
        (err: unknown) => onDone(err ?? new Error('watch failed')),
      );
    });
  }

  /** Applies one watch event; returns how the stream should be treated from here on. */
  private handleEvent(type: string, raw: unknown): WatchEnd {
    if (type === 'ERROR') {
      const code = isRawMap(raw) ? raw.code : undefined;
      if (code === 410) return 'gone';
      const message = isRawMap(raw) && typeof raw.message === 'string' ? raw.message : 'no message';
      log.warn({ watch: this.options.description, code, message }, 'watch stream reported an error; listing again after a pause');
      return 'failed';
    }
    if (type === 'BOOKMARK') {
      // A bookmark carries only a newer resourceVersion: resuming from it skips nothing we need.
      const rv = isRawMap(raw) && isRawMap(raw.metadata) ? raw.metadata.resourceVersion : undefined;
      if (typeof rv === 'string' && rv !== '') this.resourceVersion = rv;
      return 'closed';
    }
    const obj = asKubeObject(raw);
    if (!obj) {
      log.warn({ watch: this.options.description, type }, 'skipping a watch event whose object has no metadata.name');
      return 'closed';
    }
    try {
      if (type === 'ADDED' || type === 'MODIFIED') this.handlers.upsert(obj);
      else if (type === 'DELETED') this.handlers.remove(obj);
      else log.warn({ watch: this.options.description, type }, 'skipping a watch event of unknown type');
    } catch (err) {
      log.error({ watch: this.options.description, object: obj.metadata.name, error: describe(err) }, 'handling a watch event failed');
    }
    if (obj.metadata.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    this.succeeded();
    return 'closed';
  }

  private succeeded(): void {
    if (this.backoff.failures > 0) log.info({ watch: this.options.description }, 'Kubernetes API reachable again');
    this.backoff.reset();
    this.handlers.health(true);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
