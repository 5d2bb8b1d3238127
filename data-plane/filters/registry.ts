// SPDX-License-Identifier: Apache-2.0
// The set of known filters, by Quilkin name. Validates config for every config source.
import type { FilterConfigValidator, JsonValue } from '../../config/model';
import { type Filter, FilterConfigError, type FilterFactory, type FilterServices } from './filter';

export class FilterRegistry implements FilterConfigValidator {
  private readonly factories = new Map<string, FilterFactory>();

  register<C extends JsonValue | undefined>(factory: FilterFactory<C>): void {
    if (this.factories.has(factory.name)) throw new Error(`filter ${factory.name} registered twice`);
    this.factories.set(factory.name, factory as unknown as FilterFactory);
  }

  names(): string[] {
    return [...this.factories.keys()];
  }

  /** The factory of `name`, or undefined when no such filter is registered. */
  find(name: string): FilterFactory | undefined {
    return this.factories.get(name);
  }

  get(name: string): FilterFactory {
    const factory = this.factories.get(name);
    if (!factory) throw new FilterConfigError(`filter \`${name}\` not found`);
    return factory;
  }

  validate(name: string, rawConfig: unknown): JsonValue | undefined {
    return this.get(name).validate(rawConfig);
  }

  /** Builds a filter from raw or already-normalised config (validation is idempotent). */
  create(name: string, rawConfig: unknown, services: FilterServices): Filter {
    const factory = this.get(name);
    return factory.create(factory.validate(rawConfig), services);
  }
}
