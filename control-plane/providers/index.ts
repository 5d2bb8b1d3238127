// SPDX-License-Identifier: Apache-2.0
// The provider registry: `--provider <kind>` picks a factory from this table, and the table's
// option rows become the provider's own flags on manage/agent/relay. One line per provider.
import type { OptionSpec } from '../../config/option-spec';
import type { FilterConfigValidator, Locality } from '../../config/model';
import { fsProviderFactory } from './fs';
import { K8S_OPTIONS, type K8sCliValues } from './k8s/options';
import type { Provider } from './provider';

export interface ProviderContext {
  readonly kind: string;
  /** Which command runs the provider: a relay only takes the filter chain from it. */
  readonly role: 'manage' | 'agent' | 'relay';
  readonly validator: FilterConfigValidator;
  readonly locality?: Locality;
  /** The global `-c/--config` path. */
  readonly configPath: string;
  /** Parsed flag values of the command (commander's camel-cased names). */
  readonly values: Readonly<Record<string, unknown>>;
}

export interface ProviderFactory {
  readonly kinds: readonly string[];
  readonly options: readonly OptionSpec[];
  create(ctx: ProviderContext): Provider;
}

const k8sProviderFactory: ProviderFactory = {
  kinds: ['k8s', 'agones'],
  options: K8S_OPTIONS,
  // Loaded on use: the Kubernetes client library is large and fs users never need it.
  create: (ctx) =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, on use
    (require('./k8s') as typeof import('./k8s')).createK8sProvider({
      ...(ctx.values as unknown as K8sCliValues),
      kind: ctx.kind as 'k8s' | 'agones',
      role: ctx.role,
      validator: ctx.validator,
      ...(ctx.locality ? { locality: ctx.locality } : {}),
    }),
};

export const PROVIDER_FACTORIES: readonly ProviderFactory[] = [fsProviderFactory, k8sProviderFactory];

export function providerKinds(): string[] {
  return PROVIDER_FACTORIES.flatMap((f) => [...f.kinds]);
}

/** Every provider's flags, once each (factories may share rows). */
export function providerOptions(): OptionSpec[] {
  const seen = new Set<string>();
  return PROVIDER_FACTORIES.flatMap((f) => f.options).filter((o) => (seen.has(o.flags) ? false : (seen.add(o.flags), true)));
}

export function createProvider(ctx: ProviderContext): Provider {
  const factory = PROVIDER_FACTORIES.find((f) => f.kinds.includes(ctx.kind));
  if (!factory) throw new Error(`unknown provider \`${ctx.kind}\`; expected one of ${providerKinds().join(', ')}`);
  return factory.create(ctx);
}
