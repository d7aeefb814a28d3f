// conn.log writers: Zeek's ASCII log (zeek-cut reads it) and Zeek's JSON log (one object a line).
import { BlockList, isIPv4, isIPv6 } from "node:net";
import { REC, SERVICE_OFFSETS, TUNNEL_OFFSETS, connStateName, times, transportName, u64, type ConnRecord } from "../conn.js";
import { analyzerName } from "../analyzers.js";
import { CONN_RECORD_SIZE } from "../wasm/core.js";
import { uid } from "../uid.js";
import { formatAddr } from "./addr.js";
import type { AsciiBytes } from "./bytes.js";

export const CONN_FIELDS = [
  "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "duration",
  "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp", "missed_bytes", "history",
  "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "tunnel_parents", "ip_proto",
] as const;

const CONN_TYPES = [
  "time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count", "count",
  "string", "bool", "bool", "count", "string", "count", "count", "count", "count", "set[string]", "count",
];

/** Seconds with six decimals from integer microseconds, as Zeek prints time and interval. */
export function seconds(us: number): string {
  const sign = us < 0 ? "-" : "";
  const a = Math.abs(us);
  const s = Math.floor(a / 1e6);
  return `${sign}${s}.${String(a - s * 1e6).padStart(6, "0")}`;
}

/** Which addresses are local (--local-nets). */
export class LocalNets {
  private readonly list = new BlockList();
  constructor(cidrs: string[]) {
    for (const c of cidrs) {
      const [addr, bits] = c.split("/");
      const v6 = isIPv6(addr);
      if (!v6 && !isIPv4(addr)) throw new Error(`bad network "${c}" (an address or a CIDR: 10.0.0.0/8, fd00::/8)`);
      const prefix = bits === undefined ? (v6 ? 128 : 32) : Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (v6 ? 128 : 32)) throw new Error(`bad network "${c}"`);
      this.list.addSubnet(addr, prefix, v6 ? "ipv6" : "ipv4");
    }
  }
  has(addr: string): boolean {
    return this.list.check(addr, isIPv6(addr) ? "ipv6" : "ipv4");
  }
}

/** The field values of one record, unset fields as undefined; ts and uid only when `from` (the first
 *  field wanted) is 0 (a connection_end event has its own). */
function values(r: ConnRecord, local: LocalNets | undefined, from: number): (string | number | boolean | string[] | undefined)[] {
  const timed = r.durationUs > 0; // Zeek sets duration and byte counts only then
  return [
    from === 0 ? seconds(r.tsUs) : undefined, from === 0 ? uid(r.serial) : undefined, r.origH, r.origP, r.respH, r.respP, r.proto,
    r.services.length > 0 ? r.services.join(",") : undefined,
    timed ? seconds(r.durationUs) : undefined,
    timed ? r.origBytes : undefined,
    timed ? r.respBytes : undefined,
    r.connState,
    local ? local.has(r.origH) : undefined,
    local ? local.has(r.respH) : undefined,
    r.missedBytes,
    r.history.length > 0 ? r.history : undefined,
    r.origPkts, r.origIpBytes, r.respPkts, r.respIpBytes,
    r.tunnelParents.length > 0 ? r.tunnelParents.map(uid) : undefined,
    r.ipProto,
  ];
}

function zeekTimestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

const TAB = 0x09, NEWLINE = 0x0a, QUOTE = 0x22, COMMA = 0x2c, DASH = 0x2d, DOT = 0x2e;
const OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d;
const T = 0x54, F = 0x46;

/** seconds() into bytes (the writers' fast path; seconds() is the reference, and writes the rest). */
function secondsInto(out: AsciiBytes, us: number): void {
  const a = Math.abs(us);
  if (!(Number.isInteger(a) && a < 2 ** 53)) { out.text(seconds(us)); return; }
  if (us < 0) out.byte(DASH);
  const s = Math.floor(a / 1e6);
  out.uint(s);
  out.byte(DOT);
  out.padded(a - s * 1e6, 6);
}

/** An address as formatAddr writes it (IPv4 digit by digit; formatAddr writes IPv6). */
export function addrInto(out: AsciiBytes, family: number, b: Uint8Array, off: number): void {
  if (family !== 4) { out.text(formatAddr(family, b, off)); return; }
  out.uint(b[off + 12]); out.byte(DOT); out.uint(b[off + 13]); out.byte(DOT);
  out.uint(b[off + 14]); out.byte(DOT); out.uint(b[off + 15]);
}

/** Each field's JSON key with its quotes and colon, as bytes. */
const JSON_KEYS = CONN_FIELDS.map((f) => Buffer.from(`${JSON.stringify(f)}:`, "latin1"));
const [TS, UID, ORIG_H, ORIG_P, RESP_H, RESP_P, PROTO, SERVICE, DURATION, ORIG_BYTES, RESP_BYTES,
  CONN_STATE, LOCAL_ORIG, LOCAL_RESP, MISSED_BYTES, HISTORY, ORIG_PKTS, ORIG_IP_BYTES, RESP_PKTS,
  RESP_IP_BYTES, TUNNEL_PARENTS, IP_PROTO] = CONN_FIELDS.map((_, i) => i);

/**
 * conn.log rows, in Zeek's ASCII form (tab-separated, unset fields "-") or its JSON form (one
 * object a line, unset fields left out), written as bytes straight from the core's records
 * (CONN_RECORD_SIZE each, layout in src/conn.ts): `zk-stream conn` spent most of its JavaScript
 * time on an object and a string per field. What each field holds is what connObject holds.
 * Every string written is ASCII that JSON needs no escape for (addresses, uids, names, letters).
 */
export class ConnRowWriter {
  private readonly json: boolean;
  /** The "event" form: a connection_end event's fields after its tuple (connObject's, with
   *  duration a number as JSON.stringify writes it), to close a line the caller began. */
  private readonly event: boolean;
  private out!: AsciiBytes;
  private fields = 0; // written in the current row

  constructor(form: "ascii" | "json" | "event", private readonly local?: LocalNets) {
    this.json = form !== "ascii";
    this.event = form === "event";
  }

  /** The rows of a batch of records (as the core hands them out), appended to `out`. */
  rows(batch: Uint8Array, view: DataView, out: AsciiBytes): void {
    for (let off = 0; off + CONN_RECORD_SIZE <= batch.length; off += CONN_RECORD_SIZE) this.rowAt(batch, view, off, out);
  }

  /** The row of the record at `off` of a batch, appended to `out`. */
  rowAt(b: Uint8Array, view: DataView, off: number, out: AsciiBytes): void {
    this.out = out;
    this.row(b, view, off);
  }

  /** Field i starts: its separator, and its key in JSON. */
  private key(i: number): void {
    const out = this.out;
    if (this.json) {
      out.byte(this.fields === 0 ? OPEN_BRACE : COMMA);
      out.copy(JSON_KEYS[i], 0, JSON_KEYS[i].length);
    } else if (i > 0) {
      out.byte(TAB);
    }
    this.fields++;
  }

  /** Field i is unset: "-" in ASCII, left out in JSON. */
  private unset(i: number): void {
    if (this.json) return;
    this.key(i);
    this.out.byte(DASH);
  }

  private quote(): void { if (this.json) this.out.byte(QUOTE); }

  private string(i: number, s: string): void {
    this.key(i); this.quote(); this.out.text(s); this.quote();
  }

  private count(i: number, n: number): void {
    this.key(i); this.out.uint(n);
  }

  private bool(i: number, v: boolean): void {
    this.key(i);
    if (this.json) this.out.text(v ? "true" : "false"); else this.out.byte(v ? T : F);
  }

  private address(i: number, family: number, b: Uint8Array, off: number): void {
    this.key(i); this.quote(); addrInto(this.out, family, b, off); this.quote();
  }

  private row(b: Uint8Array, view: DataView, off: number): void {
    const out = this.out;
    const family = b[off + REC.IP_VERSION], ipProto = b[off + REC.IP_PROTO];
    const { tsUs, durationUs } = times(view, off);
    const timed = durationUs > 0; // Zeek sets duration and byte counts only then
    if (this.event) {
      this.fields = 1; // the event's own fields come first
    } else {
      this.fields = 0;
      this.key(TS); secondsInto(out, tsUs); // a number in JSON too
      this.string(UID, uid(u64(view, off + REC.SERIAL)));
      this.address(ORIG_H, family, b, off + REC.ORIG_ADDR);
      this.count(ORIG_P, view.getUint16(off + REC.ORIG_PORT, true));
      this.address(RESP_H, family, b, off + REC.RESP_ADDR);
      this.count(RESP_P, view.getUint16(off + REC.RESP_PORT, true));
      this.string(PROTO, transportName(ipProto));
    }
    // the analyzers: one string, comma-separated, in both forms
    let services = 0;
    for (const at of SERVICE_OFFSETS) {
      if (b[off + at] === 0) continue;
      if (services++ === 0) { this.key(SERVICE); this.quote(); } else out.byte(COMMA);
      out.text(analyzerName(b[off + at]));
    }
    if (services > 0) this.quote(); else this.unset(SERVICE);
    if (timed) {
      this.key(DURATION);
      if (this.event) out.text(String(Number(seconds(durationUs)))); else secondsInto(out, durationUs);
    } else {
      this.unset(DURATION);
    }
    if (timed) this.count(ORIG_BYTES, u64(view, off + REC.ORIG_BYTES)); else this.unset(ORIG_BYTES);
    if (timed) this.count(RESP_BYTES, u64(view, off + REC.RESP_BYTES)); else this.unset(RESP_BYTES);
    this.string(CONN_STATE, connStateName(b[off + REC.CONN_STATE]));
    const local = this.local;
    if (local) {
      this.bool(LOCAL_ORIG, local.has(formatAddr(family, b, off + REC.ORIG_ADDR)));
      this.bool(LOCAL_RESP, local.has(formatAddr(family, b, off + REC.RESP_ADDR)));
    } else {
      this.unset(LOCAL_ORIG);
      this.unset(LOCAL_RESP);
    }
    this.count(MISSED_BYTES, u64(view, off + REC.MISSED_BYTES));
    const histLen = b[off + REC.HISTORY_LENGTH];
    if (histLen > 0) {
      this.key(HISTORY); this.quote(); out.copy(b, off + REC.HISTORY, off + REC.HISTORY + histLen); this.quote();
    } else {
      this.unset(HISTORY);
    }
    this.count(ORIG_PKTS, u64(view, off + REC.ORIG_PKTS));
    this.count(ORIG_IP_BYTES, u64(view, off + REC.ORIG_IP_BYTES));
    this.count(RESP_PKTS, u64(view, off + REC.RESP_PKTS));
    this.count(RESP_IP_BYTES, u64(view, off + REC.RESP_IP_BYTES));
    // a set: comma-separated in ASCII, an array of strings in JSON
    let parents = 0;
    for (const at of TUNNEL_OFFSETS) {
      const t = u64(view, off + at); // serial + 1, 0: none
      if (t === 0) continue;
      if (parents++ === 0) { this.key(TUNNEL_PARENTS); if (this.json) out.byte(OPEN_BRACKET); } else out.byte(COMMA);
      this.quote(); out.text(uid(t - 1)); this.quote();
    }
    if (parents > 0) { if (this.json) out.byte(CLOSE_BRACKET); } else this.unset(TUNNEL_PARENTS);
    this.count(IP_PROTO, ipProto);
    if (this.json) out.byte(CLOSE_BRACE);
    out.byte(NEWLINE);
  }
}

/** Zeek's ASCII writer: header lines, the rows (ConnRowWriter), #close at the end. */
export class ZeekConnWriter {
  private readonly writer: ConnRowWriter;
  constructor(local?: LocalNets) {
    this.writer = new ConnRowWriter("ascii", local);
  }

  header(now = new Date()): string {
    return [
      "#separator \\x09",
      "#set_separator\t,",
      "#empty_field\t(empty)",
      "#unset_field\t-",
      "#path\tconn",
      `#open\t${zeekTimestamp(now)}`,
      `#fields\t${CONN_FIELDS.join("\t")}`,
      `#types\t${CONN_TYPES.join("\t")}`,
    ].join("\n") + "\n";
  }

  /** The rows of a batch of records (as the core hands them out), appended to `out`. */
  rows(batch: Uint8Array, view: DataView, out: AsciiBytes): void {
    this.writer.rows(batch, view, out);
  }

  footer(now = new Date()): string {
    return `#close\t${zeekTimestamp(now)}\n`;
  }
}

/** The record as Zeek's JSON log has it: unset fields left out, times as numbers in seconds. Its
 *  fields from CONN_FIELDS[from] on are added to `into` (a connection_end event has the tuple). */
export function connObject(r: ConnRecord, local?: LocalNets, into: Record<string, unknown> = {}, from = 0): Record<string, string | number | boolean | string[]> {
  const vals = values(r, local, from);
  for (let i = from; i < CONN_FIELDS.length; i++) {
    const v = vals[i];
    if (v === undefined) continue;
    const f = CONN_FIELDS[i];
    into[f] = f === "ts" || f === "duration" ? Number(v) : v;
  }
  return into as Record<string, string | number | boolean | string[]>;
}
