// SPDX-License-Identifier: Apache-2.0
// Filter chains under test, as Quilkin YAML config files, and the payload format each
// one expects from the generators.
//   0 filters: plain forward, payload as sent.
//   3 filters: the Embark chain. Payload + 3-byte token + 1 version byte; Capture
//              suffix 1 (remove) -> embark.dev/load_balancer/version, Capture suffix 3
//              (remove) -> quilkin.dev/capture, TokenRouter picks the endpoint.
//   8 filters: the Embark chain behind five more that every packet must pass through
//              (Firewall allow, Concatenate + Capture that cancel out, Pass, a
//              LocalRateLimit far above the offered rate).
//   spread:    many sessions over many endpoints: SPREAD_ENDPOINTS endpoints on
//              consecutive ports, a LoadBalancer (Hash) giving each client one of them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EMBARK_FILTERS_YAML } from '../../config/embark-chain';

export type ChainLength = 0 | 3 | 8;
export const CHAIN_LENGTHS: readonly ChainLength[] = [0, 3, 8];
/** What a subject is started with: a chain over one endpoint, or the spread config. */
export type Workload = ChainLength | 'spread';

/** The spread run: this many client sessions over this many endpoints (ports echo .. echo + n - 1). */
export const SPREAD_SESSIONS = 100000;
export const SPREAD_ENDPOINTS = 1000;

/** The token the generators append and the endpoint carries (base64 "YWJj"). */
export const TOKEN = 'abc';
export const VERSION_BYTE = 1;

export function payloadFormat(chain: ChainLength): 'none' | 'embark' {
  return chain === 0 ? 'none' : 'embark';
}

function padding(clientNet: string, serverNet: string): string {
  return `  - name: quilkin.filters.firewall.v1alpha1.Firewall
    config:
      on_read: [{ action: ALLOW, sources: ["${clientNet}"], ports: ["1-65535"] }]
      on_write: [{ action: ALLOW, sources: ["${serverNet}"], ports: ["1-65535"] }]
  - name: quilkin.filters.concatenate.v1alpha1.Concatenate
    config: { on_read: APPEND, bytes: "cGFk" }
  - name: quilkin.filters.capture.v1alpha1.Capture
    config:
      metadataKey: bench.dev/pad
      suffix: { size: 3, remove: true }
  - name: quilkin.filters.pass.v1alpha1.Pass
  - name: quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit
    config: { max_packets: 1000000000, period: 1 }
`;
}

/** Config YAML for a chain; the single endpoint carries the token the chains route by. */
export function chainYaml(chain: ChainLength, endpoint: string, clientNet: string, serverNet: string): string {
  const filters = chain === 0 ? '' : `filters:\n${chain === 8 ? padding(clientNet, serverNet) : ''}${EMBARK_FILTERS_YAML}`;
  return `version: v1alpha1
clusters:
  - endpoints:
      - address: "${endpoint}"
        metadata:
          quilkin.dev:
            tokens: ["${Buffer.from(TOKEN).toString('base64')}"]
${filters}`;
}

/** Config YAML of the spread run: SPREAD_ENDPOINTS endpoints from `endpoint`'s port up, one per client by source hash. */
export function spreadYaml(endpoint: string): string {
  const at = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, at);
  const first = Number(endpoint.slice(at + 1));
  const endpoints = Array.from({ length: SPREAD_ENDPOINTS }, (_, i) => `      - address: "${host}:${first + i}"`).join('\n');
  return `version: v1alpha1
clusters:
  - endpoints:
${endpoints}
filters:
  - name: quilkin.filters.load_balancer.v1alpha1.LoadBalancer
    config: { policy: HASH }
`;
}

export function writeChainConfig(dir: string, workload: Workload, endpoint: string, clientNet: string, serverNet: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `chain-${workload}.yaml`);
  fs.writeFileSync(file, workload === 'spread' ? spreadYaml(endpoint) : chainYaml(workload, endpoint, clientNet, serverNet));
  return file;
}
