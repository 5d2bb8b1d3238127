// SPDX-License-Identifier: Apache-2.0
// Scalar rules shared by the config file, xDS resources and filter configs, as Quilkin v0.9 reads them.
import { z } from 'zod';

/** Standard alphabet, padded: the only shape Quilkin's base64 STANDARD engine accepts. */
export const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard padded base64, or returns undefined. Like Quilkin's STANDARD engine it also
 * refuses non-zero trailing bits (`YR==`), which Node's decoder would silently drop: the text must
 * be the canonical encoding of what it decodes to.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (!STRICT_BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

export const BASE64_MESSAGE = 'must be standard padded base64 (with zero trailing bits)';

/**
 * A string of standard base64 decoded to its bytes; its JSON Schema is the pattern. `message`
 * words the error for a value that is a string but not canonical base64.
 */
export function base64Bytes(message: (text: string) => string = () => BASE64_MESSAGE, typeMessage = 'must be a base64 encoded string') {
  return z
    .string({ error: typeMessage })
    .regex(STRICT_BASE64, { error: (iss) => message(String(iss.input)) })
    .transform((text, ctx) => {
      const bytes = decodeBase64Strict(text);
      if (bytes) return bytes;
      ctx.addIssue({ code: 'custom', message: message(text), input: text });
      return z.NEVER;
    });
}

/**
 * A string field as serde_yaml fills it: any scalar is read as its text, so `id: 123` is "123" and
 * `id: true` is "true" (Quilkin v0.9 deserialises file and filter configs with serde_yaml 0.9).
 * Sequences and mappings are still errors.
 */
export function scalarString(message = 'must be a string', missing?: string): z.ZodType<string, string | number | boolean> {
  return z
    .union([z.string(), z.number(), z.boolean()], { error: (iss) => (iss.input === undefined && missing ? missing : message) })
    .transform((v) => String(v));
}
