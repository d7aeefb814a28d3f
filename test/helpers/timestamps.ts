// A microsecond pcap's time stamps written at a finer resolution, with a part below the
// microsecond added: as a nanosecond pcap, or as pcapng at 10^-9 s (with an if_tsoffset) or at
// 2^-30 s. Read as Zeek reads (libpcap at microsecond precision cuts the finer part away), each
// packet keeps its microsecond time.

import { pcapRecords } from "./packets.js";

/** A record of a microsecond pcap: its time (seconds, microseconds), lengths and bytes. */
interface TimedRecord { sec: number; usec: number; wire: number; data: Buffer }

/** A little-endian microsecond pcap's link type, snaplen and records; a record cut short at the
 *  end is left out (editcap -F pcap writes whole ones). */
function usRecords(pcap: Buffer): { link: number; snaplen: number; records: TimedRecord[] } {
  if (pcap.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error("usRecords: not a little-endian microsecond pcap");
  const records = pcapRecords(pcap).map(({ offset, length }) => ({
    sec: pcap.readUInt32LE(offset), usec: pcap.readUInt32LE(offset + 4), wire: pcap.readUInt32LE(offset + 12),
    data: pcap.subarray(offset + 16, offset + length),
  }));
  return { link: pcap.readUInt32LE(20), snaplen: pcap.readUInt32LE(16), records };
}

/** Nanoseconds (0-999) to add below each record's microsecond, by its index. */
export type Jitter = (index: number) => number;

/** A little-endian or big-endian writer of 16- and 32-bit fields into a buffer. */
function fields(b: Buffer, le: boolean) {
  return {
    u16: (v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o)),
    u32: (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o)),
  };
}

/** The capture as a nanosecond pcap in either byte order. */
export function asNanosecondPcap(usPcap: Buffer, jitter: Jitter, le = true): Buffer {
  const { link, snaplen, records } = usRecords(usPcap);
  const head = Buffer.alloc(24);
  const h = fields(head, le);
  h.u32(0xa1b23c4d, 0); h.u16(2, 4); h.u16(4, 6); h.u32(snaplen, 16); h.u32(link, 20);
  const parts = [head];
  records.forEach((r, i) => {
    const rh = Buffer.alloc(16);
    const w = fields(rh, le);
    w.u32(r.sec, 0); w.u32(r.usec * 1000 + nanos(jitter, i), 4); w.u32(r.data.length, 8); w.u32(r.wire, 12);
    parts.push(rh, r.data);
  });
  return Buffer.concat(parts);
}

/** if_tsresol of pcapng: 10^-exp seconds, or 2^-exp with `binary`. */
export interface Resolution { exp: number; binary?: boolean }

/**
 * The capture as pcapng in either byte order: one section, one interface at `resolution`,
 * enhanced packet blocks. `offset`: the earliest packet's second goes into if_tsoffset, and out
 * of every time stamp.
 */
export function asPcapng(usPcap: Buffer, resolution: Resolution, jitter: Jitter, { le = true, offset = false } = {}): Buffer {
  const { link, snaplen, records } = usRecords(usPcap);
  const offsetSeconds = offset && records.length > 0 ? records.reduce((m, r) => Math.min(m, r.sec), records[0].sec) : 0;
  const parts: Buffer[] = [];
  const block = (type: number, body: Buffer) => {
    const b = Buffer.alloc(12 + body.length);
    const w = fields(b, le);
    w.u32(type, 0); w.u32(b.length, 4); body.copy(b, 8); w.u32(b.length, b.length - 4);
    parts.push(b);
  };
  const shb = Buffer.alloc(16);
  const s = fields(shb, le);
  s.u32(0x1a2b3c4d, 0); s.u16(1, 4); s.u16(0, 6);
  shb.fill(0xff, 8, 16); // section length unknown
  block(0x0a0d0d0a, shb);
  // options: if_tsresol (1 byte, padded to 4), if_tsoffset (8 bytes), end of options
  const idb = Buffer.alloc(8 + 8 + 12 + 4);
  const d = fields(idb, le);
  d.u16(link, 0); d.u32(snaplen, 4);
  d.u16(9, 8); d.u16(1, 10); idb[12] = (resolution.binary ? 0x80 : 0) | resolution.exp;
  d.u16(14, 16); d.u16(8, 18);
  le ? idb.writeBigInt64LE(BigInt(offsetSeconds), 20) : idb.writeBigInt64BE(BigInt(offsetSeconds), 20);
  block(1, idb); // the last 4 bytes stay 0: opt_endofopt
  records.forEach((r, i) => {
    const units = timeUnits(BigInt(r.sec - offsetSeconds), r.usec, nanos(jitter, i), resolution);
    const body = Buffer.alloc(20 + ((r.data.length + 3) & ~3));
    const w = fields(body, le);
    w.u32(0, 0); w.u32(Number(units >> 32n), 4); w.u32(Number(units & 0xffffffffn), 8);
    w.u32(r.data.length, 12); w.u32(r.wire, 16);
    r.data.copy(body, 20);
    block(6, body);
  });
  return Buffer.concat(parts);
}

function nanos(jitter: Jitter, i: number): number {
  const n = jitter(i);
  if (!(Number.isInteger(n) && n >= 0 && n < 1000)) throw new Error(`jitter ${n}: not 0-999 ns`);
  return n;
}

/** The time sec.usec plus `ns` in units of the resolution, at most as far above sec.usec as
 *  stays below the next microsecond once cut to microseconds (as libpcap cuts it). */
function timeUnits(sec: bigint, usec: number, ns: number, r: Resolution): bigint {
  if (!r.binary) {
    if (r.exp < 9) throw new Error("timeUnits: a decimal resolution finer than 10^-9 s only");
    return (sec * 1_000_000n + BigInt(usec)) * 10n ** BigInt(r.exp - 6) + BigInt(ns) * 10n ** BigInt(r.exp - 9);
  }
  const one = 1n << BigInt(r.exp), us = BigInt(usec);
  const first = (us * one + 999_999n) / 1_000_000n;          // the first unit in this microsecond
  const last = ((us + 1n) * one - 1n) / 1_000_000n;          // the last one
  const above = (BigInt(ns) * one) / 1_000_000_000n;         // ns in units, rounded down
  return (sec << BigInt(r.exp)) + first + (above < last - first ? above : last - first);
}
