// SPDX-License-Identifier: Apache-2.0
// Shared config plumbing for filter factories: zod validation with field paths, JSON Schema export.
import { z } from 'zod';
import type { JsonValue } from '../../config/model';
import { BASE64_MESSAGE, scalarString, decodeBase64Strict, STRICT_BASE64 } from '../../config/scalars';
import { FilterConfigError, missingConfig } from './filter';

type PathKey = PropertyKey;

/** `suffix.size`, `on_read[0].ports[1]`; empty for the config root. */
export function formatConfigPath(path: readonly PathKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** One message per problem, each prefixed by the field path inside the filter's config. */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .flatMap((issue) => {
      const where = formatConfigPath(issue.path);
      // serde's wording, one per key, so a typo is named the same way everywhere.
      const messages = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => `unknown field \`${k}\``) : [issue.message];
      return messages.map((m) => (where === '' ? m : `${where}: ${m}`));
    })
    .join('; ');
}

/** Raw config must be present (not undefined/null) for filters whose config is required. */
export function requireConfig(filterName: string, raw: unknown): unknown {
  if (raw === undefined || raw === null) throw missingConfig(filterName);
  return raw;
}

/** Parses with `schema`, turning every zod issue into one precise FilterConfigError. */
export function parseWith<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new FilterConfigError(formatZodIssues(result.error.issues));
  return result.data;
}

/** The JSON Schema (draft 2020-12) of what a user may write, i.e. the schema's input side. */
export function jsonSchemaOf(schema: z.ZodType): JsonValue {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonValue;
}

/** Standard, padded base64 with zero trailing bits, as Quilkin's STANDARD engine decodes it; kept as text. */
export const base64String = z
  .string()
  .regex(STRICT_BASE64, { message: BASE64_MESSAGE })
  .refine((s) => decodeBase64Strict(s) !== undefined, { message: BASE64_MESSAGE });

export function decodeBase64(text: string): Buffer {
  return Buffer.from(text, 'base64');
}

/** A string field: a scalar is read as its text (`123` is "123"), as serde_yaml does (see config/scalars.ts). */
export const stringField = scalarString();

/** A metadata key: any string. */
export const metadataKey = stringField;
