// SPDX-License-Identifier: Apache-2.0
// Node error messages embed addresses (`send ENETUNREACH 10.0.0.1:7777`); metric labels use only
// the error's class, a small fixed set, so a peer cannot create series by choosing its address.

/** `ENETUNREACH`, `ERR_SOCKET_BAD_PORT`, ... or `unknown` for errors without a recognisable code. */
export function errnoClass(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^(E[A-Z0-9]{1,20}|ERR_[A-Z0-9_]{1,60})$/.test(code) ? code : 'unknown';
}
