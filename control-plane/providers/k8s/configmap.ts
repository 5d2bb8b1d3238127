// SPDX-License-Identifier: Apache-2.0
// ConfigMaps labelled quilkin.dev/configmap=true -> the filter chain (only their `filters` key is used).
import { parse as parseYaml } from 'yaml';
import { formatIssue, IssueCollector } from '../../../config/issues';
import type { FilterConfig, FilterConfigValidator } from '../../../config/model';
import { parseFilters } from '../../../config/parse';
import { logger } from '../../../runtime/logger';
import { isRawMap, type KubeObject, objectKey } from './kube-object';

const log = logger('k8s-configmaps');

export const CONFIGMAP_LABEL_SELECTOR = 'quilkin.dev/configmap=true';
export const CONFIGMAP_KEY = 'quilkin.yaml';

export type ConfigMapFilters = { ok: true; filters: FilterConfig[] } | { ok: false; reason: string };

/** Validates the chain in `data["quilkin.yaml"]` with the same rules as a config file. */
export function configMapFilters(cm: KubeObject, validator: FilterConfigValidator): ConfigMapFilters {
  const data = cm.data;
  if (!isRawMap(data) || typeof data[CONFIGMAP_KEY] !== 'string') return { ok: false, reason: `data["${CONFIGMAP_KEY}"] is missing` };
  let doc: unknown;
  try {
    doc = parseYaml(data[CONFIGMAP_KEY] as string, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, reason: `data["${CONFIGMAP_KEY}"] is not YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  if (doc === null || doc === undefined) return { ok: true, filters: [] };
  if (!isRawMap(doc)) return { ok: false, reason: `data["${CONFIGMAP_KEY}"] must be a mapping with a \`filters\` key` };
  if (doc.filters === undefined || doc.filters === null) return { ok: true, filters: [] };
  const issues = new IssueCollector();
  const filters = parseFilters(doc.filters, validator, issues);
  if (!issues.ok) return { ok: false, reason: issues.issues.map(formatIssue).join('; ') };
  return { ok: true, filters };
}

/**
 * Which ConfigMap's chain is live. The last valid one added or changed wins, as in Quilkin; when it
 * is deleted, the newest remaining valid one takes over, and with none left the chain is empty.
 * An invalid ConfigMap is rejected with a warning and the chain it would have replaced stays live.
 */
export class ConfigMapChain {
  private readonly valid = new Map<string, { filters: FilterConfig[]; order: number }>();
  private counter = 0;

  constructor(private readonly validator: FilterConfigValidator) {}

  /** Replaces what is known with a complete listing; a map that is now invalid keeps its last valid chain. */
  sync(objects: readonly KubeObject[]): void {
    const previous = new Map(this.valid);
    this.valid.clear();
    for (const cm of objects) {
      const old = previous.get(objectKey(cm));
      if (!this.accept(cm) && old) this.valid.set(objectKey(cm), old);
    }
  }

  upsert(cm: KubeObject): void {
    this.accept(cm);
  }

  remove(cm: KubeObject): void {
    if (this.valid.delete(objectKey(cm))) log.info({ configmap: objectKey(cm) }, 'ConfigMap deleted');
  }

  get empty(): boolean {
    return this.valid.size === 0;
  }

  /** The live chain, or [] when no valid ConfigMap exists. */
  filters(): FilterConfig[] {
    let best: { filters: FilterConfig[]; order: number } | undefined;
    for (const entry of this.valid.values()) if (!best || entry.order > best.order) best = entry;
    return best?.filters ?? [];
  }

  private accept(cm: KubeObject): boolean {
    const result = configMapFilters(cm, this.validator);
    if (!result.ok) {
      log.warn({ configmap: objectKey(cm), reason: result.reason }, `ConfigMap ${objectKey(cm)} rejected, the current filter chain stays: ${result.reason}`);
      return false;
    }
    this.valid.set(objectKey(cm), { filters: result.filters, order: ++this.counter });
    if (this.valid.size > 1)
      log.warn({ configmap: objectKey(cm), matching: this.valid.size }, 'several ConfigMaps carry a filter chain; the last one changed wins');
    return true;
  }
}
