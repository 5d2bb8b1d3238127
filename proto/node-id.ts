// SPDX-License-Identifier: Apache-2.0
// Node ids and control plane identifiers come from the peer and end up in logs and metric
// labels, so they are bounded and printable before anything keeps them.

/** Hostnames are at most 64 bytes and pod names are truncated to 63; 128 leaves room for a prefix. */
export const MAX_NODE_ID_BYTES = 128;

/** How much of an attacker-chosen string an error message or log line repeats. */
const QUOTE_CHARS = 64;

/** Why `id` cannot serve as a node id / identifier, or undefined when it can. */
export function nodeIdProblem(id: string, what = 'node id'): string | undefined {
  if (id.length === 0) return `${what} is empty`;
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_NODE_ID_BYTES) return `${what} is ${bytes} bytes long, more than the limit of ${MAX_NODE_ID_BYTES}`;
  // C0 and C1 controls (newlines, escapes) would forge log lines and break label text.
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(id);
  if (control) return `${what} ${quoted(id)} contains the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;
  return undefined;
}

/** JSON quoting, with DEL and the C1 controls (which JSON leaves raw; NEL breaks lines) escaped too. */
function jsonQuote(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `text` JSON-quoted and cut to a few dozen characters, for errors that echo peer input. */
export function quoted(text: string, max = QUOTE_CHARS): string {
  return text.length <= max ? jsonQuote(text) : `${jsonQuote(text.slice(0, max))}… (${text.length} characters)`;
}
