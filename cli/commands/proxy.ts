// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy` and `quilkin proxy xdp`.
import type { Command } from 'commander';
import * as os from 'node:os';
import type { EndpointConfig } from '../../config/model';
import { endpointCount } from '../../config/model';
import { filterRegistry } from '../../data-plane/filters/index';
import { startProxy, tryItCommand } from '../../data-plane/proxy';
import { applyToTokens, parseToAddresses, StaticEndpointError, withStaticEndpoints } from '../../data-plane/static-endpoints';
import { logger } from '../../runtime/logger';
import { QuilkinMetrics } from '../../runtime/metrics';
import { CliError, UsageError } from '../exit';
import { loadStartupConfig } from '../load-config';
import { type GlobalOptions, PROXY_OPTIONS, type ProxyOptions, toOption, XDP_OPTIONS, type XdpOptions } from '../options';
import { onShutdown, setupRuntime } from '../runtime-setup';

const log = logger('cli');

function staticEndpoints(opts: ProxyOptions): { endpoints: EndpointConfig[]; filters?: ReturnType<typeof applyToTokens>['filters'] } {
  try {
    const endpoints = parseToAddresses(opts.to ?? []);
    if (!opts.toTokens) return { endpoints };
    return applyToTokens(endpoints, opts.toTokens);
  } catch (err) {
    if (err instanceof StaticEndpointError) throw new UsageError(err.message);
    throw err;
  }
}

async function runProxy(globals: GlobalOptions, opts: ProxyOptions, xdp?: XdpOptions): Promise<void> {
  setupRuntime(globals, xdp ? 'proxy xdp' : 'proxy');
  if (opts.to?.length && opts.managementServer?.length) throw new UsageError('`--to` and `--management-server` cannot be used together');
  const registry = filterRegistry();
  // `-c` is accepted before and after `proxy`; the one after the subcommand wins.
  const loaded = loadStartupConfig(opts.config ?? globals.config, registry);
  const fromCli = staticEndpoints(opts);
  let config = withStaticEndpoints(loaded.config, fromCli.endpoints);
  if (fromCli.filters) config = { ...config, filters: fromCli.filters };
  if (endpointCount(config) === 0 && !opts.managementServer?.length) {
    throw new CliError('`quilkin proxy` requires at least one `to` address or `management_server` endpoint.');
  }
  const metrics = new QuilkinMetrics();
  const proxy = await startProxy(
    {
      backend: xdp ? 'xdp' : opts.backend,
      forceBackend: xdp?.['xdp.force'] ?? false,
      backendOptions: {
        port: opts.port,
        qcmpPort: opts.qcmpPort,
        workers: opts.workers,
        sessionTimeoutSecs: opts.sessionTimeoutSecs,
        maxSessions: opts.maxSessions,
        unrepliedSessionTimeoutSecs: opts.unrepliedSessionTimeoutSecs,
        maxSessionsPerSource: opts.maxSessionsPerSource,
        ...(xdp
          ? {
              xdp: {
                interface: xdp['xdp.interface'],
                queues: xdp['xdp.queues'],
                zerocopy: xdp['xdp.zerocopy'],
                umemFrames: xdp['xdp.umemFrames'],
                force: xdp['xdp.force'],
                mode: xdp['xdp.mode'],
                sessionPorts: xdp['xdp.sessionPorts'],
                forwardInterfaces: xdp['xdp.forwardInterfaces'],
                fastPath: xdp['xdp.fastPath'],
              },
            }
          : {}),
      },
      qcmpPort: opts.qcmpPort,
      adminAddress: globals.admin ? globals.adminAddress : undefined,
      configPath: loaded.path,
      staticEndpoints: fromCli.endpoints,
      ...(opts.managementServer?.length
        ? { xds: { servers: opts.managementServer, nodeId: opts.id ?? config.id ?? os.hostname(), idleRequestIntervalSecs: opts.idleRequestIntervalSecs } }
        : {}),
    },
    config,
    registry,
    metrics,
  ).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new CliError(`cannot bind: ${err.message}`);
    throw new CliError((err as Error).message);
  });
  onShutdown(() => proxy.stop());
  const describe = proxy.backend.describe();
  log.info(
    {
      mode: xdp ? 'proxy xdp' : 'proxy',
      backend: proxy.backend.kind,
      fallbacks: proxy.fallbacks,
      listen: `[::]:${opts.port}`,
      qcmp: `[::]:${proxy.qcmp.port}`,
      phoenix: `[::]:${proxy.phoenix.port} (tcp)`,
      admin: proxy.admin?.url,
      config: loaded.path ?? 'built-in default',
      endpoints: endpointCount(config),
      filters: config.filters.length,
      ...describe,
      try: tryItCommand(opts.port),
    },
    'Quilkin is ready',
  );
}

function addOptions(command: Command, specs: typeof PROXY_OPTIONS): Command {
  for (const spec of specs) command.addOption(toOption(spec));
  return command;
}

export function register(program: Command): void {
  const proxy = addOptions(program.command('proxy').description('run a UDP proxy for game traffic'), PROXY_OPTIONS);
  proxy.action(async (opts: ProxyOptions, command: Command) => {
    await runProxy(command.optsWithGlobals() as GlobalOptions & ProxyOptions, opts);
  });
  const xdp = addOptions(proxy.command('xdp').description('run the proxy on an AF_XDP data path (falls back to sockets, visibly, where XDP is unavailable)'), [
    ...PROXY_OPTIONS.filter((s) => !s.flags.includes('--backend')),
    ...XDP_OPTIONS,
  ]);
  xdp.action(async (opts: ProxyOptions & XdpOptions, command: Command) => {
    await runProxy(command.optsWithGlobals() as GlobalOptions & ProxyOptions, { ...opts, backend: 'socket' }, opts);
  });
}
