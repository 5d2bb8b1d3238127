// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadKubeConfig } from './kube-client';

describe('loadKubeConfig', () => {
  const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
  let dir: string;

  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-'))));
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses the cluster named by KUBECONFIG', () => {
    const file = path.join(dir, 'config');
    fs.writeFileSync(
      file,
      'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://10.1.2.3:6443\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n',
    );
    process.env.KUBECONFIG = file;
    expect(loadKubeConfig().getCurrentCluster()?.server).to.equal('https://10.1.2.3:6443');
  });

  it('says what is missing when no cluster is configured anywhere', function () {
    if (fs.existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) this.skip(); // running inside a pod
    delete process.env.KUBECONFIG;
    process.env.HOME = dir;
    expect(() => loadKubeConfig()).to.throw(/no Kubernetes cluster configured: set KUBECONFIG/);
  });
});
