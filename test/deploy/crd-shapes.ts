// SPDX-License-Identifier: Apache-2.0
// Field checks for custom resources that no npm package ships a usable schema for (Agones'
// allocation.agones.dev), and unknown-field checks for those whose package validates types only
// (prometheus-operator's CRD schemas allow any extra field, which is how typos slip through).
// Each shape lists the fields of the CRD's documented schema that deploy/ may use, with types.

type Json = { [key: string]: unknown };

export type Shape =
  | 'string'
  | 'boolean'
  | 'integer'
  | { readonly enum: readonly string[] }
  | { readonly map: 'string' }
  | { readonly array: Shape }
  | { readonly object: { readonly [field: string]: Shape }; readonly required?: readonly string[] };

/** Type errors and unknown fields of `value` against `shape`, each with its path. */
export function shapeErrors(value: unknown, shape: Shape, at = ''): string[] {
  const where = at === '' ? '(root)' : at;
  if (shape === 'string') return typeof value === 'string' ? [] : [`${where}: must be a string`];
  if (shape === 'boolean') return typeof value === 'boolean' ? [] : [`${where}: must be a boolean`];
  if (shape === 'integer') return Number.isInteger(value) ? [] : [`${where}: must be an integer`];
  if ('enum' in shape) return shape.enum.includes(value as string) ? [] : [`${where}: must be one of ${shape.enum.join(', ')}`];
  if ('map' in shape) {
    if (!isObject(value)) return [`${where}: must be a map`];
    return Object.entries(value).flatMap(([k, v]) => (typeof v === 'string' ? [] : [`${where}.${k}: must be a string`]));
  }
  if ('array' in shape) {
    if (!Array.isArray(value)) return [`${where}: must be a list`];
    return value.flatMap((v, i) => shapeErrors(v, shape.array, `${at}[${i}]`));
  }
  if (!isObject(value)) return [`${where}: must be an object`];
  const missing = (shape.required ?? []).filter((f) => value[f] === undefined).map((f) => `${join(at, f)}: required`);
  const fields = Object.entries(value).flatMap(([k, v]) => {
    const child = shape.object[k];
    return child === undefined ? [`${join(at, k)}: unknown field`] : shapeErrors(v, child, join(at, k));
  });
  return [...missing, ...fields];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(at: string, field: string): string {
  return at === '' ? field : `${at}.${field}`;
}

const STRINGS: Shape = { array: 'string' };

/** metav1.ObjectMeta, the fields a manifest sets (the rest are the server's). */
const OBJECT_META: Shape = {
  object: { name: 'string', generateName: 'string', namespace: 'string', labels: { map: 'string' }, annotations: { map: 'string' } },
};

/** metav1.LabelSelectorRequirement[]. */
const MATCH_EXPRESSIONS: Shape = {
  array: { object: { key: 'string', operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }, values: STRINGS }, required: ['key', 'operator'] },
};

/** metav1.LabelSelector. */
const LABEL_SELECTOR: Shape = { object: { matchLabels: { map: 'string' }, matchExpressions: MATCH_EXPRESSIONS } };

function resource(apiVersion: string, kind: string, spec: Shape): Shape {
  return {
    object: { apiVersion: { enum: [apiVersion] }, kind: { enum: [kind] }, metadata: OBJECT_META, spec },
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
  };
}

/** Agones allocation.agones.dev/v1 GameServerAllocation (agones.dev reference: GameServerAllocationSpec). */
const GAME_SERVER_SELECTOR: Shape = {
  object: {
    matchLabels: { map: 'string' },
    matchExpressions: MATCH_EXPRESSIONS,
    gameServerState: { enum: ['Ready', 'Allocated'] },
    players: { object: { minAvailable: 'integer', maxAvailable: 'integer' } },
  },
};

export const GAME_SERVER_ALLOCATION = resource('allocation.agones.dev/v1', 'GameServerAllocation', {
  object: {
    selectors: { array: GAME_SERVER_SELECTOR },
    scheduling: { enum: ['Packed', 'Distributed'] },
    metadata: { object: { labels: { map: 'string' }, annotations: { map: 'string' } } },
  },
  required: ['selectors'],
});

/** prometheus-operator RelabelConfig. */
const RELABEL_CONFIG: Shape = {
  object: {
    sourceLabels: STRINGS,
    separator: 'string',
    targetLabel: 'string',
    regex: 'string',
    modulus: 'integer',
    replacement: 'string',
    action: {
      enum: [
        'replace',
        'Replace',
        'keep',
        'Keep',
        'drop',
        'Drop',
        'hashmod',
        'HashMod',
        'labelmap',
        'LabelMap',
        'labeldrop',
        'LabelDrop',
        'labelkeep',
        'LabelKeep',
        'lowercase',
        'Lowercase',
        'uppercase',
        'Uppercase',
        'keepequal',
        'KeepEqual',
        'dropequal',
        'DropEqual',
      ],
    },
  },
};

/** The scrape fields shared by ServiceMonitor endpoints[] and PodMonitor podMetricsEndpoints[]. */
const SCRAPE_ENDPOINT = {
  port: 'string',
  path: 'string',
  scheme: { enum: ['http', 'https'] },
  interval: 'string',
  scrapeTimeout: 'string',
  honorLabels: 'boolean',
  relabelings: { array: RELABEL_CONFIG },
  metricRelabelings: { array: RELABEL_CONFIG },
} as const satisfies { [field: string]: Shape };

const NAMESPACE_SELECTOR: Shape = { object: { any: 'boolean', matchNames: STRINGS } };

export const SERVICE_MONITOR = resource('monitoring.coreos.com/v1', 'ServiceMonitor', {
  object: {
    selector: LABEL_SELECTOR,
    namespaceSelector: NAMESPACE_SELECTOR,
    jobLabel: 'string',
    targetLabels: STRINGS,
    podTargetLabels: STRINGS,
    endpoints: { array: { object: SCRAPE_ENDPOINT } },
  },
  required: ['selector', 'endpoints'],
});

export const POD_MONITOR = resource('monitoring.coreos.com/v1', 'PodMonitor', {
  object: {
    selector: LABEL_SELECTOR,
    namespaceSelector: NAMESPACE_SELECTOR,
    jobLabel: 'string',
    podTargetLabels: STRINGS,
    podMetricsEndpoints: { array: { object: SCRAPE_ENDPOINT } },
  },
  required: ['selector', 'podMetricsEndpoints'],
});

/** The shape for a custom resource deploy/ ships, by apiVersion and kind. */
export function crdShape(apiVersion: string, kind: string): Shape | undefined {
  const shapes: { [key: string]: Shape } = {
    'allocation.agones.dev/v1 GameServerAllocation': GAME_SERVER_ALLOCATION,
    'monitoring.coreos.com/v1 ServiceMonitor': SERVICE_MONITOR,
    'monitoring.coreos.com/v1 PodMonitor': POD_MONITOR,
  };
  return shapes[`${apiVersion} ${kind}`];
}
