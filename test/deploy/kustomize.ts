// SPDX-License-Identifier: Apache-2.0
// Renders deploy/'s kustomizations offline, for the fields they use: resources (files and
// directories) and configMapGenerator (files, labels, annotations, no name hash). Any other field
// is an error rather than a silent misrender. (Checked by hand against `kubectl kustomize` v5.5; CI has no kubectl: it is not a Debian package.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

type Json = { [key: string]: unknown };

interface GeneratorOptions {
  readonly labels?: { [key: string]: string };
  readonly annotations?: { [key: string]: string };
  readonly disableNameSuffixHash?: boolean;
}

interface ConfigMapGenerator {
  readonly name: string;
  readonly namespace?: string;
  readonly files?: readonly string[];
  readonly options?: GeneratorOptions;
}

interface Kustomization {
  readonly apiVersion: string;
  readonly kind: string;
  readonly resources?: readonly string[];
  readonly generatorOptions?: GeneratorOptions;
  readonly configMapGenerator?: readonly ConfigMapGenerator[];
}

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'generatorOptions', 'configMapGenerator']);
const KNOWN_GENERATOR_FIELDS = new Set(['name', 'namespace', 'files', 'options']);

/** Every YAML document of a file, as plain objects. */
export function loadYaml(file: string): Json[] {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  return docs.map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${i}: ${doc.errors[0].message}`);
    return doc.toJS() as Json;
  });
}

export function readKustomization(dir: string): Kustomization {
  const file = path.join(dir, 'kustomization.yaml');
  const k = loadYaml(file)[0] as unknown as Kustomization;
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization')
    throw new Error(`${file}: not a kustomize.config.k8s.io/v1beta1 Kustomization`);
  for (const field of Object.keys(k)) if (!KNOWN_FIELDS.has(field)) throw new Error(`${file}: field ${field} is not implemented by this renderer`);
  return k;
}

/** Like kustomize's default load restriction: generator files must lie inside the kustomization. */
function insideFile(dir: string, relative: string): string {
  const file = path.resolve(dir, relative);
  if (!file.startsWith(path.resolve(dir) + path.sep)) throw new Error(`${relative}: outside the kustomization root ${dir}`);
  return file;
}

function generateConfigMap(dir: string, gen: ConfigMapGenerator, defaults: GeneratorOptions | undefined): Json {
  for (const field of Object.keys(gen))
    if (!KNOWN_GENERATOR_FIELDS.has(field)) throw new Error(`configMapGenerator ${gen.name}: field ${field} is not implemented by this renderer`);
  const options = { ...defaults, ...gen.options };
  if (options.disableNameSuffixHash !== true) throw new Error(`configMapGenerator ${gen.name}: the name hash suffix is not implemented by this renderer`);
  const data: { [key: string]: string } = {};
  for (const entry of gen.files ?? []) {
    // `key=path` names the data key; a bare path uses the file's base name.
    const eq = entry.indexOf('=');
    const [key, relative] = eq >= 0 ? [entry.slice(0, eq), entry.slice(eq + 1)] : [path.basename(entry), entry];
    if (key in data) throw new Error(`configMapGenerator ${gen.name}: key ${key} is given twice`);
    data[key] = fs.readFileSync(insideFile(dir, relative), 'utf8');
  }
  const labels = { ...defaults?.labels, ...gen.options?.labels };
  const annotations = { ...defaults?.annotations, ...gen.options?.annotations };
  const metadata: Json = { name: gen.name };
  if (gen.namespace !== undefined) metadata.namespace = gen.namespace;
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data };
}

/** The objects `kubectl kustomize dir` would print, in resource order, generated ones last. */
export function renderKustomization(dir: string): Json[] {
  const k = readKustomization(dir);
  const objects = (k.resources ?? []).flatMap((r) => {
    const target = path.resolve(dir, r);
    return fs.statSync(target).isDirectory() ? renderKustomization(target) : loadYaml(insideFile(dir, r));
  });
  for (const gen of k.configMapGenerator ?? []) objects.push(generateConfigMap(dir, gen, k.generatorOptions));
  return objects;
}
