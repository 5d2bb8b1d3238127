// SPDX-License-Identifier: Apache-2.0
// TLS for xDS and mDS, one identity per process: `--tls-cert`/`--tls-key` are what this process
// presents (as a server on its ports, and as a client certificate when it dials `https://`), and
// `--tls-ca` is whom it trusts (servers it dials; with it, a server also requires and verifies
// client certificates: mutual TLS). Files are read once at start, so a bad path fails at once.
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';

export interface TlsFiles {
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
}

interface TlsMaterial {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
}

let material: TlsMaterial = {};

function read(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read the TLS ${what} \`${path}\`: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** Loads the process's TLS files (none given: plain HTTP/2, as Quilkin v0.9 speaks). */
export function configureTls(files: TlsFiles): void {
  if ((files.cert === undefined) !== (files.key === undefined)) throw new Error('--tls-cert and --tls-key go together: give both or neither');
  material = {
    ...(files.cert ? { cert: read(files.cert, 'certificate'), key: read(files.key as string, 'key') } : {}),
    ...(files.ca ? { ca: read(files.ca, 'CA bundle') } : {}),
  };
}

/** Whether servers of this process serve TLS. */
export function tlsServing(): boolean {
  return material.cert !== undefined;
}

/** What a server listens with: TLS when a certificate is configured, requiring client certificates when a CA is too. */
export function serverCredentials(): grpc.ServerCredentials {
  const { cert, key, ca } = material;
  if (!cert || !key) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(ca ?? null, [{ cert_chain: cert, private_key: key }], ca !== undefined);
}

/** What a client dials with: `https://` servers are verified against the CA (or the system roots) and get our certificate if we have one. */
export function channelCredentials(secure: boolean): grpc.ChannelCredentials {
  if (!secure) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(material.ca ?? null, material.key ?? null, material.cert ?? null);
}
