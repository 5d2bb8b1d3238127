// SPDX-License-Identifier: Apache-2.0
// Firewall: allow or deny packets by the peer's IP and port; the first matching rule decides.
import { z } from 'zod';
import type { SocketAddr } from '../../../config/address';
import { ipBytes } from '../../compiler/ip-bytes';
import type { ByteWriter } from '../../compiler/wire';
import { FAST, STEP } from '../../../bpf/fast-abi';
import type { Filter, FilterFactory } from '../filter';
import { type KernelFirewallRule, type KernelLowering, NotLowerable } from '../kernel';
import { jsonSchemaOf, parseWith, requireConfig } from '../config-schema';
import { type Cidr, cidrContainsParts, ipv4ToInt, parseCidr, parseIp, type ParsedIp } from './cidr';

export const FIREWALL_NAME = 'quilkin.filters.firewall.v1alpha1.Firewall';
export const FIREWALL_DENIED = 'filter::firewall::denied';

// ---- config -------------------------------------------------------------------------------
/** A port range is half-open: [min, max). A single port N means [N, N+1). */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** Parses `7000`, `"7000"` or `"1000-7000"`; returns an error message on failure. */
export function parsePortRange(value: string | number): PortRange | string {
  const text = String(value).trim();
  const single = /^\d+$/.exec(text);
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (!single && !range) return `invalid port range \`${text}\`: expected a port or \`min-max\``;
  const min = Number(range ? range[1] : text);
  const max = range ? Number(range[2]) : min + 1;
  if (min > 65535 || (range && max > 65535)) return `invalid port range \`${text}\`: ports are 0-65535`;
  if (!range && max > 65535) return `invalid port range \`${text}\`: port 65535 cannot be a single port (its exclusive end overflows)`;
  if (min >= max) return `invalid port range: min ${min} is greater than or equal to max ${max}`;
  return { min, max };
}

const portItem = z
  .union([z.number(), z.string()], { error: 'must be a port number or a `min-max` string' })
  .superRefine((v, ctx) => {
    const parsed = parsePortRange(v);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  })
  .meta({ description: 'a single port (0-65534) or a half-open range "min-max" (max excluded)' });

const cidrItem = z.string({ error: 'must be a CIDR string' }).superRefine((v, ctx) => {
  const parsed = parseCidr(v);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

const rule = z.object({
  action: z.enum(['ALLOW', 'DENY'], { error: 'must be `ALLOW` or `DENY`' }),
  sources: z.array(cidrItem, { error: 'must be a list of CIDRs' }),
  ports: z.array(portItem, { error: 'must be a list of ports or port ranges' }),
});

const configSchema = z.object({
  on_read: z.array(rule, { error: 'missing field `on_read` (a list of rules, may be empty)' }),
  on_write: z.array(rule, { error: 'missing field `on_write` (a list of rules, may be empty)' }),
});

export type FirewallConfig = z.output<typeof configSchema>;
type RuleConfig = z.output<typeof rule>;

// ---- behaviour ----------------------------------------------------------------------------
interface CompiledRule {
  readonly allow: boolean;
  readonly sources: readonly Cidr[];
  readonly ports: readonly PortRange[];
}

function compileRule(r: RuleConfig): CompiledRule {
  return {
    allow: r.action === 'ALLOW',
    sources: r.sources.map((s) => parseCidr(s) as Cidr),
    ports: r.ports.map((p) => parsePortRange(p) as PortRange),
  };
}

function ruleMatches(r: CompiledRule, v4: number, v6: readonly number[] | undefined, port: number): boolean {
  let inSources = false;
  for (let i = 0; i < r.sources.length && !inSources; i++) inSources = cidrContainsParts(r.sources[i], v4, v6);
  if (!inSources) return false;
  for (let i = 0; i < r.ports.length; i++) if (port >= r.ports[i].min && port < r.ports[i].max) return true;
  return false;
}

/** First matching rule wins; no match (including no rules) denies. Exported for the property tests. */
export function decide(rules: readonly CompiledRule[], addr: SocketAddr): boolean {
  // IPv4 (the common case) is parsed without allocating; IPv6 builds its word list once.
  let v4 = addr.family === 4 ? ipv4ToInt(addr.ip) : -1;
  let v6: readonly number[] | undefined;
  if (v4 < 0) {
    const ip: ParsedIp = parseIp(addr.ip);
    v4 = ip.v4;
    v6 = ip.v6;
  }
  for (let i = 0; i < rules.length; i++) if (ruleMatches(rules[i], v4, v6, addr.port)) return rules[i].allow;
  return false;
}

export function compileRules(rules: readonly RuleConfig[]): CompiledRule[] {
  return rules.map(compileRule);
}

export function createFirewall(config: FirewallConfig): Filter {
  const onRead = compileRules(config.on_read);
  const onWrite = compileRules(config.on_write);
  return {
    // Read checks the client; write checks the upstream endpoint that sent the packet.
    read: (ctx) => (decide(onRead, ctx.source) ? undefined : FIREWALL_DENIED),
    write: (ctx) => (decide(onWrite, ctx.source) ? undefined : FIREWALL_DENIED),
  };
}

// ---- native encoding (native/engine/description.md) ---------------------------------------
function prefixOfMask(mask: number): number {
  let n = 0;
  while (n < 32 && (mask >>> (31 - n)) & 1) n++;
  return n;
}

function writeRules(w: ByteWriter, rules: readonly RuleConfig[], path: string): void {
  w.u16(rules.length);
  for (const rule of rules) {
    w.u8(rule.action === 'ALLOW' ? 0 : 1);
    w.u16(rule.sources.length);
    for (const text of rule.sources) {
      const cidr = parseCidr(text);
      if (typeof cidr === 'string') throw new Error(`${path}: ${cidr}`);
      const slash = text.indexOf('/');
      const { family, bytes } = ipBytes(slash < 0 ? text : text.slice(0, slash));
      w.u8(family)
        .raw(bytes)
        .u8(cidr.family === 4 ? prefixOfMask(cidr.mask) : cidr.prefix);
    }
    w.u16(rule.ports.length);
    for (const p of rule.ports) {
      const range = parsePortRange(p);
      if (typeof range === 'string') throw new Error(`${path}: ${range}`);
      w.u16(range.min).u32(range.max);
    }
  }
}

// ---- in-kernel lowering (data-plane/filters/kernel.ts) -------------------------------------
function kernelRule(rule: RuleConfig, at: string): KernelFirewallRule {
  if (rule.sources.length > FAST.QK_FAST_FW_CIDRS) {
    throw new NotLowerable(`${rule.sources.length} sources, more than the ${FAST.QK_FAST_FW_CIDRS} a rule holds in the kernel`, `${at}.sources`);
  }
  if (rule.ports.length > FAST.QK_FAST_FW_PORTS) {
    throw new NotLowerable(`${rule.ports.length} port ranges, more than the ${FAST.QK_FAST_FW_PORTS} a rule holds in the kernel`, `${at}.ports`);
  }
  return {
    allow: rule.action === 'ALLOW',
    sources: rule.sources.map((text) => {
      const cidr = parseCidr(text) as Cidr;
      const slash = text.indexOf('/');
      const ip = ipBytes(slash < 0 ? text : text.slice(0, slash)).bytes;
      return { family: cidr.family, prefix: cidr.family === 4 ? prefixOfMask(cidr.mask) : cidr.prefix, ip };
    }),
    ports: rule.ports.map((p) => {
      const range = parsePortRange(p) as PortRange;
      return { min: range.min, end: range.max };
    }),
  };
}

/** The direction's rules go to the bank's shared table; the step names where they start. */
const firewallKernel: KernelLowering<FirewallConfig> = {
  lower(ctx, config) {
    const at = ctx.direction === 'read' ? 'on_read' : 'on_write';
    const rules = config[at].map((r, i) => kernelRule(r, `${at}[${i}]`));
    ctx.emit({ kind: STEP.FIREWALL, arg: ctx.rules(rules), count: rules.length });
    ctx.describe(`${rules.length} rule${rules.length === 1 ? '' : 's'}`);
  },
};

export const firewallFactory: FilterFactory<FirewallConfig> = {
  name: FIREWALL_NAME,
  schema: jsonSchemaOf(configSchema),
  validate: (raw) => parseWith(configSchema, requireConfig(FIREWALL_NAME, raw)),
  create: (config) => createFirewall(config),
  native: {
    encode({ w }, config, path) {
      writeRules(w, config.on_read, `${path}.on_read`);
      writeRules(w, config.on_write, `${path}.on_write`);
    },
  },
  kernel: firewallKernel,
};
