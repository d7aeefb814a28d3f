// conn.log writers: Zeek's ASCII log (zeek-cut reads it) and Zeek's JSON log (one object a line).
import { BlockList, isIPv6 } from "node:net";
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
      const prefix = bits === undefined ? (v6 ? 128 : 32) : Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (v6 ? 128 : 32)) throw new Error(`bad network "${c}"`);
      this.list.addSubnet(addr, prefix, v6 ? "ipv6" : "ipv4");
    }
  }
  has(addr: string): boolean {
    return this.list.check(addr, isIPv6(addr) ? "ipv6" : "ipv4");
  }
}

/** The field values of one record, unset fields as undefined. */
function values(r: ConnRecord, local: LocalNets | undefined): (string | number | boolean | string[] | undefined)[] {
  const timed = r.durationUs > 0; // Zeek sets duration and byte counts only then
  return [
    seconds(r.tsUs), uid(r.serial), r.origH, r.origP, r.respH, r.respP, r.proto,
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

const TAB = 0x09, NEWLINE = 0x0a, COMMA = 0x2c, DASH = 0x2d, DOT = 0x2e;
const T = 0x54, F = 0x46;

/** seconds() into bytes. */
function secondsInto(out: AsciiBytes, us: number): void {
  const a = Math.abs(us);
  if (!(Number.isInteger(a) && a < 2 ** 53)) { out.text(seconds(us)); return; }
  if (us < 0) out.byte(DASH);
  const s = Math.floor(a / 1e6);
  out.uint(s);
  out.byte(DOT);
  out.padded(a - s * 1e6, 6);
}

/** An address as formatAddr writes it. */
function addrInto(out: AsciiBytes, family: number, b: Uint8Array, off: number): void {
  if (family !== 4) { out.text(formatAddr(family, b, off)); return; }
  out.uint(b[off + 12]); out.byte(DOT); out.uint(b[off + 13]); out.byte(DOT);
  out.uint(b[off + 14]); out.byte(DOT); out.uint(b[off + 15]);
}

/**
 * Zeek's ASCII writer: header lines, one row per record, #close at the end. The rows are written
 * as bytes straight from the core's records (CONN_RECORD_SIZE each, layout in src/conn.ts), with no
 * object or string per field: `zk-stream conn` spent most of its JavaScript time on those. They
 * hold what connObject holds (the JSON log's), unset fields as "-".
 */
export class ZeekConnWriter {
  constructor(private readonly local?: LocalNets) {}

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
    for (let off = 0; off + CONN_RECORD_SIZE <= batch.length; off += CONN_RECORD_SIZE) this.row(batch, view, off, out);
  }

  private row(b: Uint8Array, view: DataView, off: number, out: AsciiBytes): void {
    const family = b[off + REC.IP_VERSION], ipProto = b[off + REC.IP_PROTO];
    const { tsUs, durationUs } = times(view, off);
    const timed = durationUs > 0; // Zeek sets duration and byte counts only then
    secondsInto(out, tsUs); out.byte(TAB);
    out.text(uid(u64(view, off + REC.SERIAL))); out.byte(TAB);
    addrInto(out, family, b, off + REC.ORIG_ADDR); out.byte(TAB);
    out.uint(view.getUint16(off + REC.ORIG_PORT, true)); out.byte(TAB);
    addrInto(out, family, b, off + REC.RESP_ADDR); out.byte(TAB);
    out.uint(view.getUint16(off + REC.RESP_PORT, true)); out.byte(TAB);
    out.text(transportName(ipProto)); out.byte(TAB);
    let services = 0;
    for (const at of SERVICE_OFFSETS) {
      if (b[off + at] === 0) continue;
      if (services++ > 0) out.byte(COMMA);
      out.text(analyzerName(b[off + at]));
    }
    if (services === 0) out.byte(DASH);
    out.byte(TAB);
    if (timed) secondsInto(out, durationUs); else out.byte(DASH);
    out.byte(TAB);
    if (timed) out.uint(u64(view, off + REC.ORIG_BYTES)); else out.byte(DASH);
    out.byte(TAB);
    if (timed) out.uint(u64(view, off + REC.RESP_BYTES)); else out.byte(DASH);
    out.byte(TAB);
    out.text(connStateName(b[off + REC.CONN_STATE])); out.byte(TAB);
    const local = this.local;
    if (local) {
      out.byte(local.has(formatAddr(family, b, off + REC.ORIG_ADDR)) ? T : F); out.byte(TAB);
      out.byte(local.has(formatAddr(family, b, off + REC.RESP_ADDR)) ? T : F); out.byte(TAB);
    } else {
      out.byte(DASH); out.byte(TAB); out.byte(DASH); out.byte(TAB);
    }
    out.uint(u64(view, off + REC.MISSED_BYTES)); out.byte(TAB);
    const histLen = b[off + REC.HISTORY_LENGTH];
    if (histLen > 0) out.copy(b, off + REC.HISTORY, off + REC.HISTORY + histLen); else out.byte(DASH);
    out.byte(TAB);
    out.uint(u64(view, off + REC.ORIG_PKTS)); out.byte(TAB);
    out.uint(u64(view, off + REC.ORIG_IP_BYTES)); out.byte(TAB);
    out.uint(u64(view, off + REC.RESP_PKTS)); out.byte(TAB);
    out.uint(u64(view, off + REC.RESP_IP_BYTES)); out.byte(TAB);
    let parents = 0;
    for (const at of TUNNEL_OFFSETS) {
      const t = u64(view, off + at); // serial + 1, 0: none
      if (t === 0) continue;
      if (parents++ > 0) out.byte(COMMA);
      out.text(uid(t - 1));
    }
    if (parents === 0) out.byte(DASH);
    out.byte(TAB);
    out.uint(ipProto);
    out.byte(NEWLINE);
  }

  footer(now = new Date()): string {
    return `#close\t${zeekTimestamp(now)}\n`;
  }
}

/** The record as Zeek's JSON log has it: unset fields left out, times as numbers in seconds. */
export function connObject(r: ConnRecord, local?: LocalNets): Record<string, string | number | boolean | string[]> {
  const vals = values(r, local);
  const o: Record<string, string | number | boolean | string[]> = {};
  CONN_FIELDS.forEach((f, i) => {
    const v = vals[i];
    if (v === undefined) return;
    o[f] = f === "ts" || f === "duration" ? Number(v) : v;
  });
  return o;
}

/** Zeek's JSON writer: unset fields left out; ts and duration as numbers in seconds. */
export function connJson(r: ConnRecord, local?: LocalNets): string {
  const vals = values(r, local);
  const parts: string[] = [];
  CONN_FIELDS.forEach((f, i) => {
    const v = vals[i];
    if (v === undefined) return;
    const text = f === "ts" || f === "duration" ? (v as string) : JSON.stringify(v);
    parts.push(`${JSON.stringify(f)}:${text}`);
  });
  return `{${parts.join(",")}}\n`;
}
