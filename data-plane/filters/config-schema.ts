// SPDX-License-Identifier: Apache-2.0
// Shared config plumbing for filter factories: zod validation with field paths, JSON Schema export.
import { z } from 'zod';
import type { JsonValue } from '../../config/model';
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
    .map((issue) => {
      const where = formatConfigPath(issue.path);
      return where === '' ? issue.message : `${where}: ${issue.message}`;
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

/** Standard, padded base64 (RFC 4648 alphabet), as Quilkin's config decoder requires. */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const base64String = z.string().refine((s) => STRICT_BASE64.test(s), { message: 'must be standard padded base64' });

export function decodeBase64(text: string): Buffer {
  return Buffer.from(text, 'base64');
}

/** A metadata key: any non-empty string. */
export const metadataKey = z.string({ error: 'must be a string' });
