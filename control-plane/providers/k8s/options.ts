// SPDX-License-Identifier: Apache-2.0
// Flags of the k8s/agones providers as data rows (cli/options.ts style), for `quilkin manage` to add.
import { InvalidArgumentError } from 'commander';
import type { OptionSpec } from '../../../config/option-spec';

export type IpKind = 'v4' | 'v6' | 'any';

/** Kubernetes names: RFC 1123 labels, which is what namespaces must be. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function parseNamespace(value: string): string {
  if (!DNS_LABEL.test(value)) throw new InvalidArgumentError(`\`${value}\` is not a Kubernetes namespace name (RFC 1123 label)`);
  return value;
}

/** Repeatable, and also comma-separated so the env variable can list several namespaces. */
export function collectNamespaces(value: string, previous: unknown): string[] {
  const given = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(parseNamespace);
  if (given.length === 0) throw new InvalidArgumentError(`\`${value}\` names no namespace`);
  // The default array is replaced, not extended, by the first explicit value.
  const before = Array.isArray(previous) && previous !== DEFAULT_GAMESERVER_NAMESPACES ? (previous as string[]) : [];
  return [...new Set([...before, ...given])];
}

const DEFAULT_GAMESERVER_NAMESPACES: readonly string[] = ['default'];

/**
 * Flag names follow Quilkin v0.9's `manage agones` (`--config-namespace`, `--gameservers-namespace`) and
 * the agent's address selection (`--address-type`, `--ip-kind`); env names are Quilkin's.
 */
export const K8S_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--config-namespace <namespace>',
    help: 'namespace watched for ConfigMaps labelled quilkin.dev/configmap=true (the filter chain)',
    env: 'QUILKIN_AGONES_CONFIG_NAMESPACE',
    default: 'default',
    parse: parseNamespace,
  },
  {
    flags: '--gameservers-namespace <namespace>',
    help: 'namespace(s) watched for Agones GameServers (repeatable or comma-separated; agones provider only)',
    env: 'QUILKIN_AGONES_GAMESERVERS_NAMESPACE',
    default: DEFAULT_GAMESERVER_NAMESPACES,
    defaultText: 'default',
    parse: collectNamespaces,
  },
  {
    flags: '--address-type <type>',
    help: 'use the GameServer status.addresses[] entry of this type (e.g. InternalIP) instead of status.address',
    env: 'QUILKIN_PROVIDERS_K8S_AGONES_ADDRESS_TYPE',
  },
  {
    flags: '--ip-kind <kind>',
    help: 'with --address-type: only take IPv4 (v4), IPv6 (v6) or either (any) addresses',
    env: 'QUILKIN_PROVIDERS_K8S_AGONES_IP_KIND',
    choices: ['v4', 'v6', 'any'],
  },
];

/** What commander hands back for K8S_OPTIONS (camel-cased flag names). */
export interface K8sCliValues {
  configNamespace: string;
  gameserversNamespace: readonly string[];
  addressType?: string;
  ipKind?: IpKind;
}

export interface K8sSelection {
  readonly configNamespace: string;
  readonly gameServerNamespaces: readonly string[];
  readonly addressType?: string;
  readonly ipKind: IpKind;
}

/** Cross-flag checks commander cannot express; throws InvalidArgumentError with the user's words. */
export function selectionFromCli(values: K8sCliValues): K8sSelection {
  if (values.ipKind !== undefined && values.addressType === undefined) {
    throw new InvalidArgumentError('--ip-kind requires --address-type');
  }
  return {
    configNamespace: values.configNamespace,
    gameServerNamespaces: [...values.gameserversNamespace],
    ...(values.addressType !== undefined ? { addressType: values.addressType } : {}),
    ipKind: values.ipKind ?? 'any',
  };
}
