// SPDX-License-Identifier: Apache-2.0
// deploy/monitoring/: the ServiceMonitor and PodMonitor select exactly Quilkin's admin ports, and
// the rendered kustomization packages every Grafana dashboard for the sidecar, each valid JSON
// that queries only metric names the proxy and manage register.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { XdpMetrics } from '../../data-plane/backends/xdp/xdp-metrics';
import { PhoenixMetrics } from '../../data-plane/phoenix/metrics';
import { XdsMetrics } from '../../proto/xds-metrics';
import { QuilkinMetrics } from '../../runtime/metrics';
import { repoRoot } from '../support/repo';
import { clientModelName, schemaErrors, unknownFields } from './k8s-schema';
import { renderKustomization } from './kustomize';
import { familyOf } from './quilkin-set';

type Json = { [key: string]: unknown };

const SIDECAR_LABEL = 'grafana_dashboard';

const deploy = (...p: string[]): string => path.join(repoRoot(), 'deploy', ...p);

function dashboardFiles(): string[] {
  return fs
    .readdirSync(deploy('grafana', 'dashboards'))
    .filter((f) => f.endsWith('.json'))
    .sort();
}

function byKind(objects: Json[], kind: string): Json[] {
  return objects.filter((o) => o.kind === kind);
}

function dig(obj: unknown, ...keys: Array<string | number>): unknown {
  return keys.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string | number, unknown>)[k] : undefined), obj);
}

interface LabelSelector {
  readonly matchLabels?: { readonly [key: string]: string };
  readonly matchExpressions?: ReadonlyArray<{ readonly key: string; readonly operator: string; readonly values?: readonly string[] }>;
}

/** metav1.LabelSelector semantics (all terms ANDed), as Prometheus' service discovery applies them. */
function selects(selector: LabelSelector, labels: { readonly [key: string]: string }): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    if (e.operator === 'In') return value !== undefined && (e.values ?? []).includes(value);
    if (e.operator === 'NotIn') return value === undefined || !(e.values ?? []).includes(value);
    if (e.operator === 'Exists') return value !== undefined;
    if (e.operator === 'DoesNotExist') return value === undefined;
    throw new Error(`unknown selector operator ${e.operator}`);
  });
  return byLabels && byExpressions;
}

/** Every workload in deploy/'s base, with its pod labels and the container port names. */
function workloads(): Array<{ name: string; podLabels: { [key: string]: string }; ports: string[] }> {
  return renderKustomization(deploy())
    .filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')
    .map((o) => ({
      name: String(dig(o, 'metadata', 'name')),
      podLabels: dig(o, 'spec', 'template', 'metadata', 'labels') as { [key: string]: string },
      ports: (dig(o, 'spec', 'template', 'spec', 'containers') as Json[]).flatMap((c) => ((c.ports as Json[] | undefined) ?? []).map((p) => String(p.name))),
    }));
}

/** Every metric family the product registers: proxy, manage, xDS, XDP backend, phoenix. */
function registeredNames(): Set<string> {
  const metrics = new QuilkinMetrics();
  new XdsMetrics(metrics);
  new XdpMetrics(metrics.registry);
  new PhoenixMetrics(metrics.registry);
  return new Set(metrics.registry.getMetricsAsArray().map((m) => m.name));
}

describe('deploy/monitoring (prometheus-operator monitors, Grafana dashboards ConfigMap)', () => {
  const rendered = (): Json[] => renderKustomization(deploy('monitoring'));

  it('renders to a ServiceMonitor, a PodMonitor and one dashboards ConfigMap, all in the quilkin namespace', () => {
    const objects = rendered();
    expect(objects.map((o) => `${String(o.kind)}/${String(dig(o, 'metadata', 'name'))}`)).to.deep.equal([
      'ServiceMonitor/quilkin-manage',
      'PodMonitor/quilkin-proxies',
      'ConfigMap/quilkin-grafana-dashboards',
    ]);
    for (const o of objects) expect(dig(o, 'metadata', 'namespace'), String(o.kind)).to.equal('quilkin');
  });

  it('the dashboards ConfigMap carries every dashboard JSON file verbatim and the sidecar label', () => {
    const [cm] = byKind(rendered(), 'ConfigMap');
    expect(schemaErrors(cm)).to.deep.equal([]);
    expect(unknownFields(cm, clientModelName('v1', 'ConfigMap'))).to.deep.equal([]);
    expect(dig(cm, 'metadata', 'labels', SIDECAR_LABEL)).to.equal('1');
    const data = cm.data as { [key: string]: string };
    expect(Object.keys(data).sort()).to.deep.equal(dashboardFiles());
    for (const file of dashboardFiles()) {
      expect(data[file], file).to.equal(fs.readFileSync(deploy('grafana', 'dashboards', file), 'utf8'));
      const json = JSON.parse(data[file]) as Json;
      expect(json.uid, `${file}: the sidecar keys dashboards by uid`).to.be.a('string');
    }
    // kubectl apply (client side) keeps the whole object in an annotation limited to 256 KiB.
    expect(JSON.stringify(cm).length).to.be.lessThan(256 * 1024);
  });

  it('the dashboards query only metric names that the proxy and manage register', () => {
    const registered = registeredNames();
    const [cm] = byKind(rendered(), 'ConfigMap');
    let checked = 0;
    const unknown: string[] = [];
    for (const [file, text] of Object.entries(cm.data as { [key: string]: string })) {
      for (const series of new Set(text.match(/\bquilkin_[a-z0-9_]+/g) ?? [])) {
        checked++;
        if (!registered.has(familyOf(series, registered))) unknown.push(`${file}: ${series}`);
      }
    }
    expect(unknown).to.deep.equal([]);
    expect(checked).to.be.greaterThan(20);
  });

  it("the ServiceMonitor selects manage's Service only, through its admin port", () => {
    const [sm] = byKind(rendered(), 'ServiceMonitor');
    const services = renderKustomization(deploy()).filter((o) => o.kind === 'Service');
    const selected = services.filter((s) =>
      selects(dig(sm, 'spec', 'selector') as LabelSelector, (dig(s, 'metadata', 'labels') ?? {}) as { [key: string]: string }),
    );
    expect(selected.map((s) => dig(s, 'metadata', 'name'))).to.deep.equal(['quilkin-manage']);
    const ports = (dig(selected[0], 'spec', 'ports') as Json[]).map((p) => p.name);
    for (const endpoint of dig(sm, 'spec', 'endpoints') as Json[]) {
      expect(ports).to.include(endpoint.port);
      expect(endpoint.path).to.equal('/metrics');
    }
  });

  it('the PodMonitor selects the socket proxies and the XDP DaemonSet (not manage), through their admin ports', () => {
    const [pm] = byKind(rendered(), 'PodMonitor');
    const selected = workloads().filter((w) => selects(dig(pm, 'spec', 'selector') as LabelSelector, w.podLabels));
    expect(selected.map((w) => w.name).sort()).to.deep.equal(['quilkin-proxy', 'quilkin-proxy-xdp']);
    for (const endpoint of dig(pm, 'spec', 'podMetricsEndpoints') as Json[]) {
      for (const w of selected) expect(w.ports, w.name).to.include(endpoint.port);
      expect(endpoint.path).to.equal('/metrics');
    }
  });

  it('both monitors label their targets job="quilkin" (as alerts.yaml expects) and instance=<pod name>', () => {
    const alerts = fs.readFileSync(deploy('prometheus', 'alerts.yaml'), 'utf8');
    expect(alerts).to.contain('job="quilkin"');
    for (const monitor of [...byKind(rendered(), 'ServiceMonitor'), ...byKind(rendered(), 'PodMonitor')]) {
      const endpoints = (dig(monitor, 'spec', 'endpoints') ?? dig(monitor, 'spec', 'podMetricsEndpoints')) as Json[];
      for (const endpoint of endpoints) {
        expect(endpoint.relabelings, String(monitor.kind)).to.deep.equal([
          { targetLabel: 'job', replacement: 'quilkin' },
          { sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'instance' },
        ]);
      }
    }
  });

  it('the offline renderer refuses fields it does not implement rather than misrender them', () => {
    const dir = fs.mkdtempSync(path.join(repoRoot(), 'dist', 'kustomize-'));
    try {
      fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamePrefix: x-\n');
      expect(() => renderKustomization(dir)).to.throw('field namePrefix is not implemented');
      fs.writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nconfigMapGenerator:\n  - name: a\n    files: [../x.json]\n',
      );
      expect(() => renderKustomization(dir)).to.throw('name hash suffix is not implemented');
      fs.writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ngeneratorOptions: { disableNameSuffixHash: true }\nconfigMapGenerator:\n  - name: a\n    files: [../x.json]\n',
      );
      expect(() => renderKustomization(dir)).to.throw('outside the kustomization root');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
