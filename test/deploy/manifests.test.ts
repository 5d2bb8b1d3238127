// SPDX-License-Identifier: Apache-2.0
// Every manifest in deploy/ parses, passes the Kubernetes schemas, and says what the docs promise
// (least-privilege RBAC, the XDP capability list, a valid filter chain, decodable tokens).
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { configMapFilters } from '../../control-plane/providers/k8s/configmap';
import { parseTokenAnnotation } from '../../control-plane/providers/k8s/gameserver';
import { asKubeObject } from '../../control-plane/providers/k8s/kube-object';
import { filterRegistry } from '../../data-plane/filters';
import { repoRoot } from '../support/repo';
import { clientModelName, fragmentSchemaErrors, schemaErrors, unknownFields } from './k8s-schema';

type Json = { [key: string]: unknown };

const MANIFEST_DIRS = ['.', 'manage', 'proxy', 'agones'];

function manifestFiles(): string[] {
  const deploy = path.join(repoRoot(), 'deploy');
  return MANIFEST_DIRS.flatMap((dir) =>
    fs
      .readdirSync(path.join(deploy, dir))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .map((f) => path.join(deploy, dir, f)),
  );
}

function load(file: string): Json[] {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  return docs.map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${i}: ${doc.errors[0].message}`);
    return doc.toJS() as Json;
  });
}

function all(): Array<{ file: string; obj: Json }> {
  return manifestFiles().flatMap((file) => load(file).map((obj) => ({ file: path.relative(repoRoot(), file), obj })));
}

function find(kind: string, name: string): Json {
  const hit = all().find(({ obj }) => obj.kind === kind && (obj.metadata as Json).name === name);
  if (!hit) throw new Error(`no ${kind} ${name} in deploy/`);
  return hit.obj;
}

function dig(obj: unknown, ...keys: Array<string | number>): unknown {
  return keys.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string | number, unknown>)[k] : undefined), obj);
}

describe('deploy/ Kubernetes manifests', () => {
  it('parse and pass the Kubernetes API schemas, with no unknown fields', () => {
    const checked: string[] = [];
    for (const { file, obj } of all()) {
      const id = `${file}: ${String(obj.kind)} ${String(dig(obj, 'metadata', 'name'))}`;
      if (obj.apiVersion === 'agones.dev/v1') continue; // checked by the Fleet test below
      expect(schemaErrors(obj), id).to.deep.equal([]);
      expect(unknownFields(obj, clientModelName(String(obj.apiVersion), String(obj.kind))), id).to.deep.equal([]);
      checked.push(id);
    }
    expect(checked.length).to.be.greaterThan(8);
  });

  it('the schema check rejects what it should (a wrong type, a missing field, a typo)', () => {
    const deployment = structuredClone(find('Deployment', 'quilkin-manage'));
    (dig(deployment, 'spec', 'template', 'spec', 'containers', 0, 'ports', 0) as Json).containerPort = 'xds';
    expect(schemaErrors(deployment).join()).to.contain('containerPort');
    const noSelector = structuredClone(find('Deployment', 'quilkin-manage'));
    delete (noSelector.spec as Json).selector;
    expect(schemaErrors(noSelector).join()).to.contain('selector');
    const typo = structuredClone(find('DaemonSet', 'quilkin-proxy-xdp'));
    (dig(typo, 'spec', 'template', 'spec') as Json).hostNetwrok = true;
    expect(unknownFields(typo, 'V1DaemonSet')).to.deep.equal(['spec.template.spec.hostNetwrok: unknown field for V1PodSpec']);
  });

  it('kustomization.yaml lists every manifest except the Agones Fleet', () => {
    const kustomization = load(path.join(repoRoot(), 'deploy', 'kustomization.yaml'))[0];
    const listed = (kustomization.resources as string[]).map((r) => path.join(repoRoot(), 'deploy', r)).sort();
    const expected = manifestFiles()
      .filter((f) => !f.endsWith('fleet.yaml'))
      .sort();
    expect(listed).to.deep.equal(expected);
  });

  it('grants manage only get/list/watch on ConfigMaps and GameServers', () => {
    const rules = all()
      .filter(({ obj }) => obj.kind === 'Role' || obj.kind === 'ClusterRole')
      .flatMap(({ obj }) => obj.rules as Json[]);
    expect(
      all().some(({ obj }) => obj.kind === 'ClusterRole' || obj.kind === 'ClusterRoleBinding'),
      'namespaced roles only',
    ).to.equal(false);
    expect(rules.flatMap((r) => r.verbs as string[]).sort()).to.deep.equal(['get', 'get', 'list', 'list', 'watch', 'watch']);
    expect(rules.map((r) => `${(r.apiGroups as string[]).join()}/${(r.resources as string[]).join()}`).sort()).to.deep.equal([
      '/configmaps',
      'agones.dev/gameservers',
    ]);
    expect(rules.every((r) => r.resourceNames === undefined && r.nonResourceURLs === undefined)).to.equal(true);
  });

  it('runs the XDP DaemonSet with hostNetwork and only NET_ADMIN, NET_RAW, BPF, PERFMON and IPC_LOCK', () => {
    const ds = find('DaemonSet', 'quilkin-proxy-xdp');
    const pod = dig(ds, 'spec', 'template', 'spec') as Json;
    expect(pod.hostNetwork).to.equal(true);
    const container = dig(pod, 'containers', 0) as Json;
    expect(dig(container, 'securityContext', 'privileged')).to.equal(undefined);
    expect(dig(container, 'securityContext', 'capabilities', 'drop')).to.deep.equal(['ALL']);
    expect(dig(container, 'securityContext', 'capabilities', 'add')).to.deep.equal(['NET_ADMIN', 'NET_RAW', 'BPF', 'PERFMON', 'IPC_LOCK']);
    expect((container.args as string[]).slice(1, 3)).to.deep.equal(['proxy', 'xdp']);
    for (const name of ['quilkin-manage', 'quilkin-proxy']) {
      const caps = dig(find('Deployment', name), 'spec', 'template', 'spec', 'containers', 0, 'securityContext', 'capabilities') as Json;
      expect(caps, name).to.deep.equal({ drop: ['ALL'] });
    }
  });

  it('ships a filter-chain ConfigMap that the provider accepts (Embark chain: Capture + TokenRouter)', () => {
    const cm = asKubeObject(find('ConfigMap', 'quilkin-filters'));
    if (!cm) throw new Error('ConfigMap without a name');
    expect(cm.metadata.labels).to.deep.equal({ 'quilkin.dev/configmap': 'true' });
    const result = configMapFilters(cm, filterRegistry());
    if (!result.ok) throw new Error(result.reason);
    expect(result.filters.map((f) => f.name)).to.deep.equal(['quilkin.filters.capture.v1alpha1.Capture', 'quilkin.filters.token_router.v1alpha1.TokenRouter']);
  });

  it('ships an Agones Fleet with a decodable token annotation and a valid pod template', () => {
    const fleet = find('Fleet', 'simple-game-server');
    expect(fleet.apiVersion).to.equal('agones.dev/v1');
    expect(unknownFields(fleet.metadata, 'V1ObjectMeta')).to.deep.equal([]);
    const gsTemplate = dig(fleet, 'spec', 'template') as Json;
    expect(unknownFields(gsTemplate.metadata, 'V1ObjectMeta')).to.deep.equal([]);
    const tokens = parseTokenAnnotation(dig(gsTemplate, 'metadata', 'annotations', 'quilkin.dev/tokens') as string);
    expect(tokens.warnings).to.deep.equal([]);
    expect(tokens.tokens.map((t) => t.toString())).to.deep.equal(['abc']);
    const podTemplate = dig(gsTemplate, 'spec', 'template') as Json;
    expect(fragmentSchemaErrors('v1', 'PodTemplateSpec', podTemplate)).to.deep.equal([]);
    expect(unknownFields(podTemplate, 'V1PodTemplateSpec')).to.deep.equal([]);
    expect(dig(gsTemplate, 'spec', 'ports', 0, 'protocol')).to.equal('UDP');
  });
});
