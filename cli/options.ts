// SPDX-License-Identifier: Apache-2.0
// Options as data: one row per flag (name, env, default, help, parser), help text generated from it.
import { type Command, InvalidArgumentError, Option } from 'commander';
import * as os from 'node:os';
import { AddressError, parseEndpointAddress } from '../config/address';
import type { OptionSpec } from '../config/option-spec';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../proto/grpc-limits';
import { collectServerUrls, parseBindAddress, parseInterfaceList } from './values';

export type { OptionSpec } from '../config/option-spec';

export function toOption(spec: OptionSpec): Option {
  const option = new Option(spec.flags, spec.help);
  if (spec.env) option.env(spec.env);
  if (spec.default !== undefined) option.default(spec.default, spec.defaultText);
  if (spec.choices) option.choices(spec.choices);
  if (spec.parse) option.argParser(spec.parse);
  return option;
}

/** Adds rows as options, skipping a row whose flags were already added (shared rows). */
export function addOptionRows(command: Command, rows: readonly OptionSpec[]): Command {
  const seen = new Set<string>();
  for (const spec of rows) {
    if (seen.has(spec.flags)) continue;
    seen.add(spec.flags);
    command.addOption(toOption(spec));
  }
  return command;
}

export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`\`${value}\` is not a port number (0-65535)`);
  return Number(value);
}

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`\`${value}\` is not a positive integer`);
  return Number(value);
}

export function parseCount(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError(`\`${value}\` is not a whole number`);
  return Number(value);
}

/** A gRPC message size bound in bytes; below 1 KiB not even a subscription fits. */
export function parseMessageSize(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1024)
    throw new InvalidArgumentError(`\`${value}\` is not a message size in bytes (at least 1024)`);
  return Number(value);
}

/** For repeatable flags (`--to a --to b`); a value from the environment arrives as one item. */
export function collect(value: string, previous: unknown): string[] {
  return Array.isArray(previous) ? [...(previous as string[]), value] : [value];
}

/** `--to`: each address checked as it is given, so a bad one is a usage error before any bind. */
export function collectEndpoints(value: string, previous: unknown): string[] {
  try {
    parseEndpointAddress(value);
  } catch (err) {
    throw new InvalidArgumentError((err as AddressError).message);
  }
  return collect(value, previous);
}

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '-c, --config <path>',
    help: 'static config file (YAML); /etc/quilkin/quilkin.yaml is tried if it is missing',
    env: 'QUILKIN_CONFIG',
    default: 'quilkin.yaml',
  },
  {
    flags: '--admin-address <address>',
    help: 'bind address of the admin HTTP server',
    env: 'QUILKIN_ADMIN_ADDRESS',
    default: '[::]:8000',
    parse: parseBindAddress,
  },
  { flags: '--no-admin', help: 'do not start the admin HTTP server', env: 'NO_ADMIN' },
  { flags: '-q, --quiet', help: 'no log output at all', env: 'QUIET', default: false },
  {
    flags: '--log-format <format>',
    help: 'log format (auto: JSON unless stdout is a terminal)',
    choices: ['auto', 'json', 'plain', 'pretty'],
    default: 'auto',
  },
  {
    flags: '--admin-max-connections <n>',
    help: 'admin connections open at once; more are closed on accept',
    env: 'QUILKIN_ADMIN_MAX_CONNECTIONS',
    default: 256,
    parse: parsePositiveInt,
  },
  {
    flags: '--admin-idle-timeout-secs <secs>',
    help: 'admin connection closed after this long without traffic',
    env: 'QUILKIN_ADMIN_IDLE_TIMEOUT_SECS',
    default: 10,
    parse: parsePositiveInt,
  },
  {
    flags: '--admin-headers-timeout-secs <secs>',
    help: 'time an admin client has to send its request headers',
    env: 'QUILKIN_ADMIN_HEADERS_TIMEOUT_SECS',
    default: 10,
    parse: parsePositiveInt,
  },
  {
    flags: '--admin-request-timeout-secs <secs>',
    help: 'time an admin client has to send its whole request',
    env: 'QUILKIN_ADMIN_REQUEST_TIMEOUT_SECS',
    default: 30,
    parse: parsePositiveInt,
  },
  {
    flags: '--admin-keep-alive-timeout-secs <secs>',
    help: 'time a kept-alive admin connection may wait for its next request',
    env: 'QUILKIN_ADMIN_KEEP_ALIVE_TIMEOUT_SECS',
    default: 5,
    parse: parsePositiveInt,
  },
  {
    flags: '--tls-cert <path>',
    help: 'PEM certificate (chain) this process presents: serving xDS/mDS over TLS, and as client certificate when dialing https://',
    env: 'QUILKIN_TLS_CERT',
  },
  { flags: '--tls-key <path>', help: 'PEM private key of --tls-cert', env: 'QUILKIN_TLS_KEY' },
  {
    flags: '--tls-ca <path>',
    help: 'PEM CA bundle: verifies https:// servers (default: system roots); servers with it require client certificates signed by it (mutual TLS)',
    env: 'QUILKIN_TLS_CA',
  },
  {
    flags: '--max-grpc-message-size <bytes>',
    help: "largest xDS/mDS message carrying resources, sent or received (Quilkin's QUILKIN_MAX_GRPC_MESSAGE_SIZE)",
    env: 'QUILKIN_MAX_GRPC_MESSAGE_SIZE',
    default: DEFAULT_MAX_MESSAGE_BYTES,
    defaultText: '268435456 (256 MiB)',
    parse: parseMessageSize,
  },
];

export interface GlobalOptions {
  config: string;
  adminAddress: string;
  admin: boolean;
  quiet: boolean;
  logFormat: 'auto' | 'json' | 'plain' | 'pretty';
  adminMaxConnections: number;
  adminIdleTimeoutSecs: number;
  adminHeadersTimeoutSecs: number;
  adminRequestTimeoutSecs: number;
  adminKeepAliveTimeoutSecs: number;
  maxGrpcMessageSize: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

export const PROXY_OPTIONS: readonly OptionSpec[] = [
  { flags: '-c, --config <path>', help: 'config file (same as the global --config; accepted here too)', env: 'QUILKIN_CONFIG' },
  { flags: '-p, --port <port>', help: 'UDP port for game traffic (dual-stack)', env: 'QUILKIN_PORT', default: 7777, parse: parsePort },
  { flags: '-q, --qcmp-port <port>', help: 'UDP port answering QCMP pings', env: 'QUILKIN_QCMP_PORT', default: 7600, parse: parsePort },
  { flags: '-t, --to <address>', help: 'static upstream endpoint host:port (repeatable)', env: 'QUILKIN_DEST', parse: collectEndpoints },
  {
    flags: '--to-tokens <count:len>',
    help: 'give each --to endpoint COUNT generated tokens of LEN bytes and route by a LEN-byte suffix (testing aid)',
    env: 'QUILKIN_DEST_TOKENS',
  },
  {
    flags: '-m, --management-server <url>',
    help: 'xDS management server, e.g. http://manage:7800 (repeatable: tried in order)',
    env: 'QUILKIN_MANAGEMENT_SERVER',
    parse: collectServerUrls,
  },
  { flags: '--id <id>', help: 'node id for xDS (default: config id, else hostname)', env: 'QUILKIN_ID' },
  {
    flags: '--idle-request-interval-secs <secs>',
    help: 'xDS: re-send subscriptions after this long without a response',
    env: 'QUILKIN_IDLE_REQUEST_INTERVAL_SECS',
    default: 30,
    parse: parsePositiveInt,
  },
  {
    flags: '-w, --workers <n>',
    help: 'receive workers (threads for the socket backend)',
    env: 'QUILKIN_WORKERS',
    default: os.availableParallelism(),
    defaultText: 'number of CPUs',
    parse: parsePositiveInt,
  },
  {
    flags: '--backend <kind>',
    help: 'data path: socket (native recvmmsg workers) or js (node dgram, the fallback)',
    env: 'QUILKIN_BACKEND',
    choices: ['socket', 'js'],
    default: 'socket',
  },
  {
    flags: '--session-timeout-secs <secs>',
    help: 'idle time after which a session expires',
    env: 'QUILKIN_SESSION_TIMEOUT_SECS',
    default: 60,
    parse: parsePositiveInt,
  },
  {
    flags: '--max-sessions <n>',
    help: 'upper bound on concurrent sessions; more are dropped and counted',
    env: 'QUILKIN_MAX_SESSIONS',
    default: 100000,
    parse: parsePositiveInt,
  },
  {
    flags: '--unreplied-session-timeout-secs <secs>',
    help: 'idle time after which a session no endpoint has answered expires; under pressure such sessions make way for new ones (socket backend, proxy xdp)',
    env: 'QUILKIN_UNREPLIED_SESSION_TIMEOUT_SECS',
    default: 5,
    parse: parsePositiveInt,
  },
  {
    flags: '--max-sessions-per-source <n>',
    help: 'upper bound on concurrent sessions from one client IP, 0 = none (socket backend, proxy xdp)',
    env: 'QUILKIN_MAX_SESSIONS_PER_SOURCE',
    default: 0,
    parse: parseCount,
  },
];

export interface ProxyOptions {
  config?: string;
  port: number;
  qcmpPort: number;
  to?: string[];
  toTokens?: string;
  managementServer?: string[];
  id?: string;
  idleRequestIntervalSecs: number;
  workers: number;
  backend: 'socket' | 'js';
  sessionTimeoutSecs: number;
  maxSessions: number;
  unrepliedSessionTimeoutSecs: number;
  maxSessionsPerSource: number;
}

export const XDP_OPTIONS: readonly OptionSpec[] = [
  { flags: '--xdp.interface <name>', help: 'network interface to attach to (default: the interface of the default route)', env: 'QUILKIN_XDP_INTERFACE' },
  { flags: '--xdp.queues <n>', help: 'number of NIC queues to serve (default: all)', env: 'QUILKIN_XDP_QUEUES', parse: parsePositiveInt },
  { flags: '--xdp.zerocopy', help: 'require zero-copy AF_XDP (fail instead of using copy mode)', env: 'QUILKIN_XDP_ZEROCOPY', default: false },
  {
    flags: '--xdp.umem-frames <n>',
    help: 'UMEM frames per queue (2 KiB each): the memory cap',
    env: 'QUILKIN_XDP_UMEM_FRAMES',
    default: 4096,
    parse: parsePositiveInt,
  },
  {
    flags: '--xdp.mode <mode>',
    help: 'XDP attach mode: auto tries native (driver) then generic',
    env: 'QUILKIN_XDP_ATTACH_MODE',
    choices: ['auto', 'native', 'generic'],
    default: 'auto',
  },
  {
    flags: '--xdp.session-ports <min-max>',
    help: "proxy source ports towards endpoints (default: every port above the kernel's ephemeral range); must not overlap that range",
    env: 'QUILKIN_XDP_SESSION_PORTS',
  },
  {
    flags: '--xdp.forward-interfaces <names>',
    help: 'two-armed: more interfaces (comma separated) the fast path forwards through; the program is attached to each, and sessions whose endpoints route out of one are carried between the interfaces in the kernel (their first packets go through kernel sockets)',
    env: 'QUILKIN_XDP_FORWARD_INTERFACES',
    parse: parseInterfaceList,
  },
  { flags: '--xdp.force', help: 'fail instead of falling back to the socket backend when XDP is unavailable', env: 'QUILKIN_XDP_FORCE', default: false },
  {
    flags: '--xdp.fast-path <mode>',
    help: 'in-kernel fast path: auto forwards established sessions in XDP when the filter chain lowers (/config says why not), off keeps every packet on the AF_XDP workers',
    env: 'QUILKIN_XDP_FAST_PATH',
    choices: ['auto', 'off'],
    default: 'auto',
  },
];

export interface XdpOptions {
  'xdp.interface'?: string;
  'xdp.queues'?: number;
  'xdp.zerocopy': boolean;
  'xdp.umemFrames': number;
  'xdp.force': boolean;
  'xdp.mode': 'auto' | 'native' | 'generic';
  'xdp.sessionPorts'?: string;
  'xdp.forwardInterfaces'?: string[];
  'xdp.fastPath': 'auto' | 'off';
}
