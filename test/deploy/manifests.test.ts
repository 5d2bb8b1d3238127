// SPDX-License-Identifier: Apache-2.0
// Every manifest in deploy/ parses, passes the Kubernetes schemas, and says what the docs promise
// (least-privilege RBAC, the XDP capability list, a valid filter chain, decodable tokens).
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configMapFilters } from '../../control-plane/providers/k8s/configmap';
import { parseTokenAnnotation, TOKENS_ANNOTATION } from '../../control-plane/providers/k8s/gameserver';
import { asKubeObject } from '../../control-plane/providers/k8s/kube-object';
import { filterRegistry } from '../../data-plane/filters';
import { repoRoot } from '../support/repo';
import { crdShape, GAME_SERVER_ALLOCATION, POD_MONITOR, shapeErrors } from './crd-shapes';
import { clientModelName, fragmentSchemaErrors, schemaErrors, unknownFields } from './k8s-schema';
import { loadYaml } from './kustomize';

type Json = { [key: string]: unknown };

const MANIFEST_DIRS = ['.', 'manage', 'proxy', 'agones', 'monitoring'];

/** Applied on their own, not by deploy/kustomization.yaml: the Fleet and the allocations need
 *  Agones' CRDs, the monitors prometheus-operator's (deploy/monitoring/kustomization.yaml). */
const NOT_IN_BASE = ['agones/fleet.yaml', 'agones/allocation.yaml', 'monitoring/'];

function manifestFiles(): string[] {
  const deploy = path.join(repoRoot(), 'deploy');
  return MANIFEST_DIRS.flatMap((dir) =>
    fs
      .readdirSync(path.join(deploy, dir))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .map((f) => path.join(deploy, dir, f)),
  );
}

const load = loadYaml;

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
      const shape = crdShape(String(obj.apiVersion), String(obj.kind));
      if (shape) {
        // Custom resources: the fields and types of the CRD's documented schema, and the
        // operator's own schema where a package ships it.
        expect(shapeErrors(obj, shape), id).to.deep.equal([]);
        expect(unknownFields(obj.metadata, 'V1ObjectMeta'), id).to.deep.equal([]);
        if (String(obj.apiVersion).startsWith('monitoring.coreos.com/')) expect(schemaErrors(obj), id).to.deep.equal([]);
        checked.push(id);
        continue;
      }
      expect(schemaErrors(obj), id).to.deep.equal([]);
      expect(unknownFields(obj, clientModelName(String(obj.apiVersion), String(obj.kind))), id).to.deep.equal([]);
      checked.push(id);
    }
    expect(checked.length).to.be.greaterThan(12);
  });

  it('the custom-resource checks reject what they should (a typo, a wrong type, a bad enum, a missing field)', () => {
    const allocation = structuredClone(all().find(({ obj }) => obj.kind === 'GameServerAllocation')!.obj);
    (dig(allocation, 'spec') as Json).schedulng = 'Packed';
    (dig(allocation, 'spec', 'selectors', 0) as Json).gameServerState = 'Shutdown';
    (dig(allocation, 'spec', 'metadata', 'annotations') as Json)['quilkin.dev/tokens'] = 42;
    expect(shapeErrors(allocation, GAME_SERVER_ALLOCATION)).to.deep.equal([
      'spec.selectors[0].gameServerState: must be one of Ready, Allocated',
      'spec.metadata.annotations.quilkin.dev/tokens: must be a string',
      'spec.schedulng: unknown field',
    ]);
    const monitor = structuredClone(find('PodMonitor', 'quilkin-proxies'));
    delete (monitor.spec as Json).selector;
    (dig(monitor, 'spec', 'podMetricsEndpoints', 0) as Json).pathh = '/metrics';
    expect(shapeErrors(monitor, POD_MONITOR)).to.deep.equal(['spec.selector: required', 'spec.podMetricsEndpoints[0].pathh: unknown field']);
    (dig(monitor, 'spec', 'podMetricsEndpoints', 0) as Json).interval = 15;
    expect(schemaErrors(monitor).join()).to.contain('interval');
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

  it('kustomization.yaml lists every manifest except the Agones and prometheus-operator ones', () => {
    const kustomization = load(path.join(repoRoot(), 'deploy', 'kustomization.yaml'))[0];
    const listed = (kustomization.resources as string[]).map((r) => path.join(repoRoot(), 'deploy', r)).sort();
    const deploy = path.join(repoRoot(), 'deploy');
    const expected = manifestFiles()
      .filter((f) => !NOT_IN_BASE.some((skip) => path.relative(deploy, f).startsWith(skip)))
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

  it('ships an Agones Fleet whose template carries no token (every replica would share it) and a valid pod template', () => {
    const fleet = find('Fleet', 'simple-game-server');
    expect(fleet.apiVersion).to.equal('agones.dev/v1');
    expect(unknownFields(fleet.metadata, 'V1ObjectMeta')).to.deep.equal([]);
    const gsTemplate = dig(fleet, 'spec', 'template') as Json;
    expect(unknownFields(gsTemplate.metadata, 'V1ObjectMeta')).to.deep.equal([]);
    expect(dig(gsTemplate, 'metadata', 'annotations', TOKENS_ANNOTATION)).to.equal(undefined);
    const podTemplate = dig(gsTemplate, 'spec', 'template') as Json;
    expect(fragmentSchemaErrors('v1', 'PodTemplateSpec', podTemplate)).to.deep.equal([]);
    expect(unknownFields(podTemplate, 'V1PodTemplateSpec')).to.deep.equal([]);
    expect(dig(gsTemplate, 'spec', 'ports', 0, 'protocol')).to.equal('UDP');
  });

  it('ships one GameServerAllocation per Fleet replica, each writing a distinct decodable token onto a Ready server of that Fleet', () => {
    const fleet = find('Fleet', 'simple-game-server');
    const allocations = all()
      .filter(({ obj }) => obj.kind === 'GameServerAllocation')
      .map(({ obj }) => obj);
    expect(allocations.length).to.equal(dig(fleet, 'spec', 'replicas'));
    const tokens: string[] = [];
    for (const allocation of allocations) {
      expect(dig(allocation, 'metadata', 'namespace')).to.equal(dig(fleet, 'metadata', 'namespace'));
      expect(dig(allocation, 'metadata', 'name'), 'created with generateName (kubectl create)').to.equal(undefined);
      expect(dig(allocation, 'spec', 'selectors', 0, 'matchLabels')).to.deep.equal({ 'agones.dev/fleet': 'simple-game-server' });
      expect(dig(allocation, 'spec', 'selectors', 0, 'gameServerState')).to.equal('Ready');
      const parsed = parseTokenAnnotation(dig(allocation, 'spec', 'metadata', 'annotations', TOKENS_ANNOTATION) as string);
      expect(parsed.warnings).to.deep.equal([]);
      expect(parsed.tokens).to.have.length(1);
      tokens.push(parsed.tokens[0].toString('latin1'));
    }
    // Three bytes each: the Capture filter in the ConfigMap takes a 3-byte suffix.
    expect(tokens).to.deep.equal(['abc', 'xyz']);
    expect(new Set(tokens).size).to.equal(tokens.length);
  });
});
