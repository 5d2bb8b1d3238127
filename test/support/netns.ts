// SPDX-License-Identifier: Apache-2.0
// Network namespaces for integration tests: a star of namespaces around one bridge, each joined by
// a veth pair, with IPv4 + IPv6 addresses, and a cleanup that always runs (namespaces, and with
// them their veths and XDP attachments, plus every process started through the helper).
// Names start with the caller's prefix so parallel test runs of other parts never collide.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './repo';

export function sh(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): string {
  return execFileSync(args[0], args.slice(1), { encoding: 'utf8', timeout: options.timeoutMs ?? 15000, input: options.input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export interface Host {
  /** Namespace name. */
  readonly ns: string;
  /** Its veth towards the bridge. */
  readonly dev: string;
  /** Bridge-side peer of `dev` (in the bridge namespace). */
  readonly peer: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

export interface StarOptions {
  /** Namespace/interface prefix, unique to the caller (e.g. `qkxdp`). At most 6 characters. */
  readonly prefix: string;
  /** Host names, at most 3 characters each (interface names are limited to 15). */
  readonly hosts: readonly string[];
  /** Second octet of the 10.x.y.0/24 subnet and the IPv6 fd00:x:y::/64. */
  readonly subnet: readonly [number, number];
  /** Turn TX checksum offload off on every host veth: frames then carry full UDP checksums. */
  readonly txChecksumOff?: boolean;
  /** rx/tx queues of every veth (default 1). */
  readonly queues?: number;
  /**
   * How the bridge-side veths take frames a host sends with native XDP (XDP_TX/redirect): 'gro'
   * (default) or 'xdp', an XDP_PASS program. With GRO on, the bridge side coalesces runs of
   * XDP_TX'd UDP datagrams of one flow (UDP GRO forwarding) and those stopped reaching the
   * receiver's socket in our tests, so the fast-path tests use 'xdp'.
   */
  readonly peerRx?: 'gro' | 'xdp';
}

export class Star {
  readonly bridgeNs: string;
  readonly hosts = new Map<string, Host>();
  private readonly processes = new Set<ChildProcess>();

  constructor(private readonly options: StarOptions) {
    const tag = `${process.pid % 1000}${Math.floor(Math.random() * 36).toString(36)}`;
    this.bridgeNs = `${options.prefix}-${tag}-br`;
    options.hosts.forEach((name, i) => {
      const [a, b] = options.subnet;
      this.hosts.set(name, {
        ns: `${options.prefix}-${tag}-${name}`,
        dev: `${options.prefix}${tag}${name}`,
        peer: `${options.prefix}${tag}${name}b`,
        ipv4: `10.${a}.${b}.${i + 1}`,
        ipv6: `fd00:${a}:${b}::${i + 1}`,
      });
    });
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name} in this topology`);
    return h;
  }

  /** Creates everything; on any failure removes what was made and rethrows. */
  create(): this {
    try {
      sh(['ip', 'netns', 'add', this.bridgeNs]);
      sh(['ip', '-n', this.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
      sh(['ip', '-n', this.bridgeNs, 'link', 'set', 'br0', 'up']);
      for (const h of this.hosts.values()) this.addHost(h);
    } catch (err) {
      this.destroy();
      throw err;
    }
    return this;
  }

  private addHost(h: Host): void {
    sh(['ip', 'netns', 'add', h.ns]);
    const q = String(this.options.queues ?? 1);
    const queues = ['numrxqueues', q, 'numtxqueues', q];
    sh(['ip', 'link', 'add', h.dev, 'netns', h.ns, ...queues, 'type', 'veth', 'peer', 'name', h.peer, 'netns', this.bridgeNs, ...queues]);
    sh(['ip', '-n', this.bridgeNs, 'link', 'set', h.peer, 'master', 'br0']);
    sh(['ip', '-n', this.bridgeNs, 'link', 'set', h.peer, 'up']);
    // GRO on the bridge side: native-mode XDP on veth delivers frames into a peer only when it
    // has GRO or an XDP program (docs/xdp.md, "Troubleshooting").
    if (this.options.peerRx === 'xdp') {
      const pass = path.join(repoRoot(), 'bpf', 'obj', 'xdp_pass.bpf.o');
      sh(['ip', '-n', this.bridgeNs, 'link', 'set', 'dev', h.peer, 'xdpdrv', 'obj', pass, 'sec', 'xdp']);
    } else {
      sh(['ip', 'netns', 'exec', this.bridgeNs, 'ethtool', '-K', h.peer, 'gro', 'on']);
    }
    sh(['ip', '-n', h.ns, 'addr', 'add', `${h.ipv4}/24`, 'dev', h.dev]);
    sh(['ip', '-n', h.ns, 'addr', 'add', `${h.ipv6}/64`, 'dev', h.dev, 'nodad']);
    sh(['ip', '-n', h.ns, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', h.ns, 'link', 'set', h.dev, 'up']);
    if (this.options.txChecksumOff) sh(['ip', 'netns', 'exec', h.ns, 'ethtool', '-K', h.dev, 'tx', 'off']);
  }

  /** Runs a command inside a host's namespace and returns its stdout. */
  exec(host: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): string {
    return sh(['ip', 'netns', 'exec', this.host(host).ns, ...args], options);
  }

  /** Starts a long-running process in a host's namespace; destroy() kills it if still running. */
  spawn(host: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.host(host).ns, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.processes.add(child);
    child.once('exit', () => this.processes.delete(child));
    return child;
  }

  /** Kills every process started here, then deletes every namespace (veths and XDP go with them). */
  destroy(): void {
    for (const child of this.processes) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.processes.clear();
    for (const ns of [...[...this.hosts.values()].map((h) => h.ns), this.bridgeNs]) {
      try {
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        // Never created or already gone: nothing left to remove.
      }
    }
  }
}

/** Namespaces whose name starts with prefix- (for a sweep of leftovers from a crashed run). */
export function namespacesWithPrefix(prefix: string): string[] {
  return sh(['ip', 'netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`${prefix}-`));
}

/**
 * A two-armed proxy: clients on one link, servers on another, the proxy between them with one
 * interface on each (`prx` towards the clients, `fwd` towards the servers; both in the proxy's
 * namespace) and IP forwarding off, so nothing crosses unless the proxy carries it. Addresses
 * are 10.<octet>.1.0/24 and fd00:<octet>:1::/64 on the client side, .2 on the server side; the
 * proxy is .1 on each and is the peers' default route. The client and server veths carry an
 * XDP_PASS program: native XDP on veth delivers a frame sent with XDP_TX or a redirect into its
 * peer only when the peer has one (or GRO).
 */
export class TwoArmed extends Star {
  constructor(prefix: string, octet: number) {
    super({ prefix, hosts: ['cli', 'prx', 'srv'], subnet: [octet, 1] });
    const base = this.host('cli').ns.slice(0, -'cli'.length);
    const dev = this.host('cli').dev.slice(0, -'cli'.length);
    const host = (name: string, ns: string, side: number, last: number, peer: string): Host => ({
      ns: `${base}${ns}`,
      dev: `${dev}${name}`,
      peer: `${dev}${peer}`,
      ipv4: `10.${octet}.${side}.${last}`,
      ipv6: `fd00:${octet}:${side}::${last}`,
    });
    this.hosts.clear();
    this.hosts.set('cli', host('cli', 'cli', 1, 2, 'prx'));
    this.hosts.set('prx', host('prx', 'prx', 1, 1, 'cli'));
    this.hosts.set('fwd', host('fwd', 'prx', 2, 1, 'srv'));
    this.hosts.set('srv', host('srv', 'srv', 2, 2, 'fwd'));
  }

  override create(): this {
    try {
      for (const ns of new Set([...this.hosts.values()].map((h) => h.ns))) {
        sh(['ip', 'netns', 'add', ns]);
        sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      }
      const pass = path.join(repoRoot(), 'bpf', 'obj', 'xdp_pass.bpf.o');
      for (const [near, far] of [
        ['cli', 'prx'],
        ['srv', 'fwd'],
      ] as const) {
        const a = this.host(near);
        const b = this.host(far);
        sh(['ip', 'link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
        for (const h of [a, b]) {
          sh(['ip', '-n', h.ns, 'addr', 'add', `${h.ipv4}/24`, 'dev', h.dev]);
          sh(['ip', '-n', h.ns, 'addr', 'add', `${h.ipv6}/64`, 'dev', h.dev, 'nodad']);
          sh(['ip', '-n', h.ns, 'link', 'set', h.dev, 'up']);
          // Full UDP checksums from every sender: the fast path carries those (partial ones go to tier 1).
          sh(['ip', 'netns', 'exec', h.ns, 'ethtool', '-K', h.dev, 'tx', 'off']);
        }
        sh(['ip', '-n', a.ns, 'link', 'set', 'dev', a.dev, 'xdpdrv', 'obj', pass, 'sec', 'xdp']);
        sh(['ip', '-n', a.ns, 'route', 'add', 'default', 'via', b.ipv4]);
        sh(['ip', '-n', a.ns, '-6', 'route', 'add', 'default', 'via', b.ipv6]);
      }
      for (const family of ['4', '6']) {
        const key = family === '4' ? 'net.ipv4.ip_forward=0' : 'net.ipv6.conf.all.forwarding=0';
        sh(['ip', 'netns', 'exec', this.host('prx').ns, 'sysctl', '-qw', key]);
      }
    } catch (err) {
      this.destroy();
      throw err;
    }
    return this;
  }
}
