// SPDX-License-Identifier: Apache-2.0
// JSON Schema of the v1alpha1 config file, generated from the schema the validator runs
// (config/file-schema.ts); each filter's config schema comes from its factory.
import { configDocumentJsonSchema, type FilterSchemaSource } from './file-schema';
import type { JsonValue } from './model';

export type { FilterSchemaSource } from './file-schema';

export function configFileSchema(filters: FilterSchemaSource): { [key: string]: JsonValue } {
  return configDocumentJsonSchema(filters);
}
