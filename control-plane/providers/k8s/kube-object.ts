// SPDX-License-Identifier: Apache-2.0
// The few fields of a Kubernetes object every watcher needs, checked rather than assumed.

export interface KubeMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly resourceVersion?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Any object from the API server: metadata checked, the rest left for the kind's own parser. */
export interface KubeObject {
  readonly metadata: KubeMetadata;
  readonly [field: string]: unknown;
}

export type RawMap = { readonly [key: string]: unknown };

export function isRawMap(value: unknown): value is RawMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isRawMap(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Returns the object if it has a name (everything we key on), else undefined. */
export function asKubeObject(value: unknown): KubeObject | undefined {
  if (!isRawMap(value) || !isRawMap(value.metadata)) return undefined;
  const m = value.metadata;
  if (typeof m.name !== 'string' || m.name === '') return undefined;
  const metadata: KubeMetadata = {
    name: m.name,
    ...(typeof m.namespace === 'string' ? { namespace: m.namespace } : {}),
    ...(typeof m.resourceVersion === 'string' ? { resourceVersion: m.resourceVersion } : {}),
    ...(stringMap(m.labels) ? { labels: stringMap(m.labels) } : {}),
    ...(stringMap(m.annotations) ? { annotations: stringMap(m.annotations) } : {}),
  };
  return { ...value, metadata };
}

/** `namespace/name`, how objects are named in logs and keyed in caches. */
export function objectKey(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}
