// SPDX-License-Identifier: Apache-2.0
// quilkin.config.v1alpha1.Datacenter <-> the model's Datacenter.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as net from 'node:net';
import type { IssueCollector, PathSegment } from '../config/issues';
import type { Datacenter } from '../config/model';
import type { EncodedResource } from './cluster-resource';
import { DatacenterSchema } from './gen/quilkin/config/v1alpha1/config_pb';

/**
 * Named by host IP with version `<ICAO>-<port>`, as a relay or manage server serves them. An
 * agent advertises itself with an empty host, named by its ICAO code with the port as version;
 * the relay fills in the agent's address from the connection.
 */
export function encodeDatacenter(dc: Datacenter): EncodedResource {
  const value = toBinary(DatacenterSchema, create(DatacenterSchema, { host: dc.host, qcmpPort: dc.qcmpPort, icaoCode: dc.icaoCode }));
  if (dc.host === '') return { name: dc.icaoCode, version: String(dc.qcmpPort), value };
  return { name: dc.host, version: `${dc.icaoCode}-${dc.qcmpPort}`, value };
}

/** `hostOverride`: the peer's address, used by a relay for what an agent advertises. */
export function decodeDatacenter(value: Uint8Array, at: PathSegment[], issues: IssueCollector, hostOverride?: string): Datacenter | undefined {
  let message;
  try {
    message = fromBinary(DatacenterSchema, value);
  } catch (err) {
    issues.add(at, `malformed Datacenter message: ${(err as Error).message}`);
    return undefined;
  }
  const host = hostOverride ?? message.host;
  const before = issues.issues.length;
  if (!net.isIP(host)) issues.add([...at, 'host'], `\`${host}\` is not an IP address`);
  const port = message.qcmpPort;
  if (port > 65535) issues.add([...at, 'qcmp_port'], `qcmp_port ${port} is out of range`);
  const icao = message.icaoCode;
  if (!/^[A-Z]{4}$/.test(icao)) issues.add([...at, 'icao_code'], `icao_code \`${icao}\` must be exactly four characters A-Z`);
  if (issues.issues.length !== before) return undefined;
  return { host, qcmpPort: port, icaoCode: icao };
}
