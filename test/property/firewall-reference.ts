// SPDX-License-Identifier: Apache-2.0
// An independent, deliberately naive model of Firewall rule evaluation for the property test:
// addresses as 32-character bit strings, rules checked in order.

export interface RuleModel {
  allow: boolean;
  sources: Array<{ base: number; prefix: number }>;
  ports: Array<{ min: number; max: number }>;
}

export function ipv4Text(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

const bits = (n: number): string => n.toString(2).padStart(32, '0');

function inNetwork(ip: number, net: { base: number; prefix: number }): boolean {
  return bits(ip).slice(0, net.prefix) === bits(net.base).slice(0, net.prefix);
}

/** True if the first rule matching (ip in any source and port in any half-open range) allows. */
export function firewallReference(rules: readonly RuleModel[], ip: number, port: number): boolean {
  const first = rules.find((r) => r.sources.some((s) => inNetwork(ip, s)) && r.ports.some((p) => port >= p.min && port < p.max));
  return first ? first.allow : false;
}
