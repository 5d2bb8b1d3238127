// SPDX-License-Identifier: Apache-2.0
// One lowered chain installed in the XDP program's maps, run packet by packet: the chain image and
// control word, a session flow for every destination a packet may leave by, the packet's starting
// metadata as the seed, then the frame through BPF_PROG_RUN with the trace on.
import { XDP_MAP_NAMES } from '../../../bpf/abi';
import { FAST } from '../../../bpf/fast-abi';
import { formatSocketAddr, parseEndpointAddress, type SocketAddr, socketAddr } from '../../../config/address';
import { ipBytes } from '../../../data-plane/compiler/ip-bytes';
import { encodeCtl, encodeFlow, encodeFlowKey, type FastMeta } from '../../../data-plane/compiler/kernel-wire';
import type { LoweredChain } from '../../../data-plane/compiler/lower';
import type { ChainRunner, PacketInput, PacketOutput, PacketPending } from '../implementations';
import { encodeSeed, toFastMeta } from './fast-meta';
import { type FastRunDriver, RUN_F_COUNTERS, RUN_F_TRACE } from './fast-run-driver';
import { judgeRun, type SessionRoute } from './fast-verdict';
import { MapLedger } from './map-ledger';
import { buildFrame } from './udp-frame';

/** The proxy's ports as qk_config says (runner-chosen; the vectors never name them). */
export const PROXY = { listenPort: 7777, sessionPortStart: 30000, sessionPortEnd: 30999 } as const;
/** Where clients send (listen) and where the proxy sends endpoints from (session), per family. */
const LISTEN_IP = { 4: '127.0.0.100', 6: 'fd00::100' } as const;
const SESSION_IP = { 4: '127.0.0.200', 6: 'fd00::200' } as const;
/** Arriving frames' MACs, and the flows' next hop: all distinct, so a rewrite that keeps or
 * swaps the wrong ones shows. */
const MAC = {
  peer: Buffer.from('02000000000c', 'hex'),
  proxy: Buffer.from('020000000001', 'hex'),
  egress: Buffer.from('020000000002', 'hex'),
  nextHop: Buffer.from('02000000000e', 'hex'),
};
/** BPF_PROG_RUN's ingress device: the driver namespace's loopback. */
const LOOPBACK_IFINDEX = 1;
const ZERO_KEY = Buffer.alloc(4);

function nextHop(src: SocketAddr, dst: SocketAddr): SessionRoute {
  return { src, dst, ethSrc: MAC.egress, ethDst: MAC.nextHop, ifindex: LOOPBACK_IFINDEX };
}

const addrBytes = (a: SocketAddr): Buffer => ipBytes(a.ip).bytes;

/** The flow as the AF_XDP workers install it (struct qk_fast_flow). */
function flowValue(r: SessionRoute): Buffer {
  return encodeFlow({
    srcAddr: addrBytes(r.src),
    dstAddr: addrBytes(r.dst),
    srcPort: r.src.port,
    dstPort: r.dst.port,
    family: r.dst.family,
    ethSrc: r.ethSrc,
    ethDst: r.ethDst,
    ifindex: r.ifindex,
    lastSeenNs: 0n,
  });
}

/** read: a = client, b = endpoint; write: a = endpoint, b = only the session port. */
function flowKey(dir: number, a: SocketAddr, b: { addr?: SocketAddr; port: number }): Buffer {
  const addrB = b.addr ? addrBytes(b.addr) : Buffer.alloc(16);
  return encodeFlowKey({ dir, family: a.family, portA: a.port, portB: b.port, addrA: addrBytes(a), addrB });
}

/** Endpoint keys that are IP literals, as socket addresses (names have no flow). */
function endpointAddr(key: string): SocketAddr | undefined {
  const a = parseEndpointAddress(key);
  return a.kind === 'dns' ? undefined : socketAddr(a.host, a.port);
}

export class FastChainRunner implements ChainRunner {
  private readonly ledger: MapLedger;
  private readonly sessionPorts = new Map<string, number>();

  constructor(
    private readonly driver: FastRunDriver,
    private readonly chain: LoweredChain,
    bank: 0 | 1,
    generation: bigint,
  ) {
    this.ledger = new MapLedger(driver);
    const image = chain.image(bank);
    this.ledger.write(XDP_MAP_NAMES.fastBanks, image.header.key, image.header.value);
    for (const e of image.steps) this.ledger.write(XDP_MAP_NAMES.fastSteps, e.key, e.value);
    for (const e of image.endpoints) this.ledger.write(XDP_MAP_NAMES.fastEndpoints, e.key, e.value);
    for (const e of image.tokens) this.ledger.write(XDP_MAP_NAMES.fastTokens, e.key, e.value);
    for (const e of image.firewall) this.ledger.write(XDP_MAP_NAMES.fastFirewall, e.key, e.value);
    // Round-robin positions and Match counts start from zero for every case.
    driver.zeroArray(XDP_MAP_NAMES.fastCells);
    const flags = FAST.QK_FAST_F_ENABLED | FAST.QK_FAST_F_SEED | FAST.QK_FAST_F_TRACE;
    this.ledger.write(XDP_MAP_NAMES.fastCtl, ZERO_KEY, encodeCtl({ bank, flags, generation }));
  }

  process(packet: PacketInput): PacketOutput | PacketPending {
    const seed = this.seed(packet);
    if (typeof seed === 'string') return { pending: seed };
    this.ledger.write(XDP_MAP_NAMES.fastSeed, ZERO_KEY, encodeSeed(seed));
    const { frame, flows } = packet.direction === 'read' ? this.readFrame(packet) : this.writeFrame(packet);
    const run = this.driver.run(frame, RUN_F_TRACE | RUN_F_COUNTERS);
    return judgeRun(run, {
      direction: packet.direction,
      input: packet.contents,
      metadata: packet.metadata,
      keys: this.chain.keys,
      endpointKeys: this.chain.endpointKeys,
      flows,
    });
  }

  close(): void {
    this.ledger.undo();
  }

  /** The chain's keys' starting values, or why the fast path cannot hold one. */
  private seed(packet: PacketInput): Array<FastMeta | undefined> | string {
    const out: Array<FastMeta | undefined> = [];
    for (const key of this.chain.keys) {
      const value = packet.metadata.get(key);
      const meta = value === undefined ? undefined : toFastMeta(value);
      if (typeof meta === 'string') return `metadata \`${key}\` is ${meta}`;
      out.push(meta);
    }
    return out;
  }

  /** Client -> listen port, with a flow from this client to every endpoint of its family (the
   * program rewrites within a family; tier 1 serves the others). */
  private readFrame(packet: PacketInput): { frame: Buffer; flows: Map<number, SessionRoute> } {
    const flows = new Map<number, SessionRoute>();
    this.chain.endpointKeys.forEach((key, i) => {
      const endpoint = endpointAddr(key);
      if (!endpoint || endpoint.family !== packet.source.family) return;
      const sessionPort = this.sessionPort(packet.source, endpoint);
      const flow = nextHop(socketAddr(SESSION_IP[endpoint.family], sessionPort), endpoint);
      this.ledger.write(XDP_MAP_NAMES.fastFlows, flowKey(FAST.QK_FAST_DIR_READ, packet.source, { addr: endpoint, port: endpoint.port }), flowValue(flow));
      flows.set(i, flow);
    });
    const listen = socketAddr(LISTEN_IP[packet.source.family], PROXY.listenPort);
    return { frame: buildFrame({ src: packet.source, dst: listen, payload: packet.contents, ethSrc: MAC.peer, ethDst: MAC.proxy }), flows };
  }

  /** Endpoint -> its session port, with the flow back to the client (`dest`) when one exists. */
  private writeFrame(packet: PacketInput): { frame: Buffer; flows: Map<number, SessionRoute> } {
    const sessionPort = this.sessionPort(packet.dest, packet.source);
    const session = socketAddr(SESSION_IP[packet.source.family], sessionPort);
    const frame = buildFrame({ src: packet.source, dst: session, payload: packet.contents, ethSrc: MAC.peer, ethDst: MAC.proxy });
    // As the workers do (native/xdp/fast_path.cc): a session across families stays in tier 1.
    if (packet.source.family !== packet.dest.family) return { frame, flows: new Map() };
    const flow = nextHop(socketAddr(LISTEN_IP[packet.dest.family], PROXY.listenPort), packet.dest);
    this.ledger.write(XDP_MAP_NAMES.fastFlows, flowKey(FAST.QK_FAST_DIR_WRITE, packet.source, { port: sessionPort }), flowValue(flow));
    return { frame, flows: new Map([[0, flow]]) };
  }

  /** One session port per client and endpoint, as the proxy allocates them. */
  private sessionPort(client: SocketAddr, endpoint: SocketAddr): number {
    const pair = `${formatSocketAddr(client)}>${formatSocketAddr(endpoint)}`;
    let port = this.sessionPorts.get(pair);
    if (port === undefined) {
      port = PROXY.sessionPortStart + this.sessionPorts.size;
      if (port > PROXY.sessionPortEnd) throw new Error('session port range exhausted');
      this.sessionPorts.set(pair, port);
    }
    return port;
  }
}
