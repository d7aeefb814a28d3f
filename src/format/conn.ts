// conn.log writers: Zeek's ASCII log (zeek-cut reads it) and Zeek's JSON log (one object a line).
import { BlockList, isIPv6 } from "node:net";
import type { ConnRecord } from "../conn.js";
import { uid } from "../uid.js";

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

/** Zeek's ASCII writer: header lines, one row per record, #close at the end. */
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

  row(r: ConnRecord): string {
    return values(r, this.local).map((v) => {
      if (v === undefined) return "-";
      if (typeof v === "boolean") return v ? "T" : "F";
      if (Array.isArray(v)) return v.length === 0 ? "(empty)" : v.join(",");
      if (v === "") return "(empty)";
      return String(v);
    }).join("\t") + "\n";
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
