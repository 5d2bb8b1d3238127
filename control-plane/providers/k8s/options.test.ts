// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { Command } from 'commander';
import { toOption } from '../../../cli/options';
import { K8S_OPTIONS, type K8sCliValues, selectionFromCli } from './options';

function parse(args: string[], env: Record<string, string> = {}): K8sCliValues {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const cmd = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    for (const spec of K8S_OPTIONS) cmd.addOption(toOption(spec));
    cmd.parse(args, { from: 'user' });
    return cmd.opts<K8sCliValues>();
  } finally {
    process.env = saved;
  }
}

describe('k8s provider options', () => {
  it('defaults to the default namespace for ConfigMaps and GameServers', () => {
    expect(selectionFromCli(parse([]))).to.deep.equal({ configNamespace: 'default', gameServerNamespaces: ['default'], ipKind: 'any' });
  });

  it('takes several GameServer namespaces from repeated flags or a comma list in the env', () => {
    expect(parse(['--gameservers-namespace', 'a', '--gameservers-namespace', 'b,c']).gameserversNamespace).to.deep.equal(['a', 'b', 'c']);
    expect(parse([], { QUILKIN_AGONES_GAMESERVERS_NAMESPACE: 'x,y' }).gameserversNamespace).to.deep.equal(['x', 'y']);
  });

  it('rejects bad namespaces, bad IP kinds and --ip-kind without --address-type', () => {
    expect(() => parse(['--config-namespace', 'Bad_NS'])).to.throw(/not a Kubernetes namespace/);
    expect(() => parse(['--ip-kind', 'v5'])).to.throw();
    expect(() => selectionFromCli(parse(['--ip-kind', 'v4']))).to.throw('--ip-kind requires --address-type');
    expect(selectionFromCli(parse(['--address-type', 'InternalIP', '--ip-kind', 'v6']))).to.include({ addressType: 'InternalIP', ipKind: 'v6' });
  });
});
