// SPDX-License-Identifier: Apache-2.0
/**
 * Reads and writes the maps of an attached XDP program through bpftool, by
 * program id: BPF objects are global, so this works from outside the network
 * namespace the program is attached in, and needs no bpffs. Used by the netns
 * tests to configure the program and to see what it counted.
 */
import { execFileSync } from 'node:child_process';

import { STRUCTS } from '../abi';
import { FAST_COUNTERS } from '../fast-abi';

export interface XdpAttachment {
  progId: number;
  /** IFLA_XDP_ATTACHED_*: 1 = driver (native), 2 = generic (skb), 3 = hw. */
  mode: number;
}

export interface CounterTotals {
  packets: bigint;
  bytes: bigint;
}

function json<T>(cmd: string, args: string[]): T {
  return JSON.parse(execFileSync(cmd, args, { encoding: 'utf8', timeout: 10000 })) as T;
}

/** The XDP program attached to `dev` in namespace `ns`, if any. */
export function xdpAttachment(ns: string, dev: string): XdpAttachment | undefined {
  const links = json<{ xdp?: { mode: number; prog?: { id: number } } }[]>('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev]);
  const xdp = links[0]?.xdp;
  if (!xdp?.prog) return undefined;
  return { progId: xdp.prog.id, mode: xdp.mode };
}

/** Map name -> map id for a loaded program. */
export function programMaps(progId: number): Map<string, number> {
  const prog = json<{ map_ids?: number[] }>('bpftool', ['-j', 'prog', 'show', 'id', String(progId)]);
  const out = new Map<string, number>();
  for (const id of prog.map_ids ?? []) {
    const map = json<{ name: string }>('bpftool', ['-j', 'map', 'show', 'id', String(id)]);
    out.set(map.name, id);
  }
  return out;
}

/**
 * The next-hop MACs (eth_dst, as aa:bb:..) of every fast-path flow of the program attached to
 * `dev` in namespace `ns`; none when nothing is attached.
 */
export function flowNextHopMacs(ns: string, dev: string): string[] {
  const attachment = xdpAttachment(ns, dev);
  const id = attachment ? programMaps(attachment.progId).get('qk_fast_flows') : undefined;
  if (id === undefined) return [];
  const dump = execFileSync('bpftool', ['map', 'dump', 'id', String(id), '-j'], { encoding: 'utf8', timeout: 10000 });
  return [...dump.matchAll(/"eth_dst":\[([^\]]*)\]/g)].map((m) =>
    m[1]
      .split(',')
      .map((n) => Number(n).toString(16).padStart(2, '0'))
      .join(':'),
  );
}

function bytesOf(hex: string[]): Buffer {
  return Buffer.from(hex.map((b) => parseInt(b, 16)));
}

/** Per-CPU counters summed over CPUs, indexed like enum qk_counter_index and qk_fast_counter_index. */
export function readCounters(mapId: number): CounterTotals[] {
  type Entry = { key: string[]; values: { cpu: number; value: string[] }[] };
  const entries = json<Entry[]>('bpftool', ['-j', 'map', 'dump', 'id', String(mapId)]);
  const layout = STRUCTS.qk_counter.fields;
  const totals: CounterTotals[] = Array.from({ length: FAST_COUNTERS.QK_CNT_FAST__MAX }, () => ({ packets: 0n, bytes: 0n }));
  for (const entry of entries) {
    const index = bytesOf(entry.key).readUInt32LE(0);
    for (const { value } of entry.values) {
      const raw = bytesOf(value);
      totals[index].packets += raw.readBigUInt64LE(layout.packets.offset);
      totals[index].bytes += raw.readBigUInt64LE(layout.bytes.offset);
    }
  }
  return totals;
}

/** Writes `value` at a u32 `key` of an array map (the config map). */
export function updateArrayMap(mapId: number, key: number, value: Buffer): void {
  const keyBytes = Buffer.alloc(4);
  keyBytes.writeUInt32LE(key, 0);
  const hex = (b: Buffer): string[] => [...b].map((x) => x.toString(16).padStart(2, '0'));
  execFileSync('bpftool', ['map', 'update', 'id', String(mapId), 'key', 'hex', ...hex(keyBytes), 'value', 'hex', ...hex(value)], {
    timeout: 10000,
  });
}
