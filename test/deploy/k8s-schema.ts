// SPDX-License-Identifier: Apache-2.0
// Checks Kubernetes objects against the official API schemas shipped in npm packages, offline:
// kubernetes-models (JSON-schema validators generated from the Kubernetes OpenAPI spec) for types
// and required fields, and @kubernetes/client-node's generated models for unknown field names
// (the OpenAPI schemas allow extra fields, which is how typos slip through).
import * as k8s from '@kubernetes/client-node';
import * as path from 'node:path';

type Json = { [key: string]: unknown };

interface ModelClass {
  new (data: Json): { validate(): void };
}

interface AttributeType {
  readonly baseName: string;
  readonly type: string;
}

/** Group versions whose models come from a third-party package of the kubernetes-models family
 *  (generated from the operator's CRD schemas) instead of kubernetes-models itself. */
const THIRD_PARTY_MODELS: { readonly [group: string]: string } = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

/** `apps/v1` -> the kubernetes-models module for that group version. kubernetes-models 5 is ESM
 *  with import-only exports, so its files are required by path (require(esm), Node >= 22.12). */
function modelsModule(apiVersion: string): Record<string, ModelClass> {
  if (!/^([a-z0-9-]+(\.[a-z0-9-]+)*\/)?v[0-9a-z]+$/.test(apiVersion)) throw new Error(`not an apiVersion: ${apiVersion}`);
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const root = path.dirname(require.resolve(`${THIRD_PARTY_MODELS[group] ?? 'kubernetes-models'}/package.json`));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- kubernetes-models 5 exports ESM only by subpath
  return require(path.join(root, apiVersion, 'index.js')) as Record<string, ModelClass>;
}

/** Type and required-field errors from the OpenAPI-derived schema, or [] if the object is valid. */
export function schemaErrors(obj: Json): string[] {
  const apiVersion = String(obj.apiVersion);
  const kind = String(obj.kind);
  let Model: ModelClass | undefined;
  try {
    Model = modelsModule(apiVersion)[kind];
  } catch {
    Model = undefined;
  }
  if (!Model) return [`no schema for ${apiVersion} ${kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

/** Validates a fragment (e.g. a PodTemplateSpec inside a custom resource) by its schema type name. */
export function fragmentSchemaErrors(apiVersion: string, typeName: string, fragment: Json): string[] {
  const Model = modelsModule(apiVersion)[typeName];
  if (!Model) return [`no schema for ${apiVersion} ${typeName}`];
  try {
    new Model(fragment).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

function attributeMap(typeName: string): readonly AttributeType[] | undefined {
  const cls = (k8s as unknown as Record<string, { getAttributeTypeMap?: () => AttributeType[] }>)[typeName];
  return typeof cls?.getAttributeTypeMap === 'function' ? cls.getAttributeTypeMap() : undefined;
}

/** Field names that the generated model for `typeName` does not know, with their paths. */
export function unknownFields(value: unknown, typeName: string, path = ''): string[] {
  const array = /^Array<(.+)>$/.exec(typeName);
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1], `${path}[${i}]`)) : [];
  const attributes = attributeMap(typeName);
  // Maps, strings, IntOrString and other leaves have no field names to check.
  if (!attributes || typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const known = new Map(attributes.map((a) => [a.baseName, a.type]));
  return Object.entries(value as Json).flatMap(([key, child]) => {
    const type = known.get(key);
    const at = path === '' ? key : `${path}.${key}`;
    return type === undefined ? [`${at}: unknown field for ${typeName}`] : unknownFields(child, type, at);
  });
}

/** `apps/v1` + `Deployment` -> `V1Deployment`, the client-node model name. */
export function clientModelName(apiVersion: string, kind: string): string {
  const version = apiVersion.split('/').pop() ?? '';
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
}
