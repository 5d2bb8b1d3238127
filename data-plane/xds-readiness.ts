// SPDX-License-Identifier: Apache-2.0
// Readiness of a proxy fed by a management server. A response on the stream alone (the probe's
// answer, a first FilterChain) is not enough to serve: until Clusters have arrived every packet
// drops as `no upstream endpoints`. Ready means the stream is up and the store has received at
// least one Cluster resource and the FilterChain from xDS.
import type { ConfigStore } from '../config/store';

export const XDS_SOURCE_PREFIX = 'xds:';

export class XdsResourceArrival {
  private clusters = false;
  private filterChain = false;

  constructor(store: ConfigStore<unknown>) {
    store.onPatch((patch, source) => {
      if (!source.startsWith(XDS_SOURCE_PREFIX)) return;
      if (patch.filters !== undefined) this.filterChain = true;
      if ((patch.clusters?.length ?? 0) > 0) this.clusters = true;
    });
  }

  /** Kept across reconnects: the store keeps what arrived, and a resumed stream only sends differences. */
  get complete(): boolean {
    return this.clusters && this.filterChain;
  }
}

/** The proxy's /ready under --management-server: the stream is up and both resource kinds arrived. */
export function xdsReadiness(store: ConfigStore<unknown>, streamReady: () => boolean): () => boolean {
  const arrival = new XdsResourceArrival(store);
  return () => streamReady() && arrival.complete;
}
