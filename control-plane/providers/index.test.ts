// SPDX-License-Identifier: Apache-2.0
// The provider registry: --provider picks the factory, flags come from its rows.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { filterRegistry } from '../../data-plane/filters';
import { createProvider, providerKinds, providerOptions } from './index';

const base = { role: 'manage' as const, validator: filterRegistry(), configPath: 'quilkin.yaml', values: {} };

describe('provider registry', () => {
  it('offers fs, k8s and agones, with each provider’s flags once', () => {
    expect(providerKinds()).to.deep.equal(['fs', 'k8s', 'agones']);
    const flags = providerOptions().map((o) => o.flags);
    expect(flags).to.include('--path <file>').and.include('--config-namespace <namespace>');
    expect(new Set(flags).size).to.equal(flags.length);
  });

  it('builds the fs provider and names an unknown kind in its error', () => {
    expect(createProvider({ ...base, kind: 'fs' }).name).to.equal('fs');
    expect(() => createProvider({ ...base, kind: 'consul' })).to.throw('unknown provider `consul`; expected one of fs, k8s, agones');
  });

  it('dispatches k8s and agones to the Kubernetes provider (found through KUBECONFIG)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qkx-kube-'));
    const kubeconfig = path.join(dir, 'config');
    fs.writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{ name: qkx, cluster: { server: "https://127.0.0.1:6443" } }]\nusers: [{ name: qkx, user: { token: t } }]\ncontexts: [{ name: qkx, context: { cluster: qkx, user: qkx } }]\ncurrent-context: qkx\n',
    );
    const previous = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kubeconfig;
    try {
      const values = { configNamespace: 'default', gameserversNamespace: ['default'] };
      expect(createProvider({ ...base, kind: 'agones', values }).name).to.equal('agones');
      expect(createProvider({ ...base, kind: 'k8s', values }).name).to.equal('k8s');
    } finally {
      if (previous === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = previous;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
