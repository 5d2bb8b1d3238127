// SPDX-License-Identifier: Apache-2.0
// The remote IP of a gRPC call, the unit per-peer limits and datacenter hosts are keyed by.
import { canonicalIp } from '../../config/address';

/** `127.0.0.1:5000`, `[::1]:5000`, `ipv4:...` -> the bare IP of the peer. */
export function peerIp(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const bracket = /^\[([^\]]+)\]/.exec(bare);
  return canonicalIp(bracket ? bracket[1] : bare.replace(/:\d+$/, ''));
}
