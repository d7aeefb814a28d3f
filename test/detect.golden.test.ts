// Protocol detection against Zeek (use case 3): conn.log's `service` per connection on every trace
// with a usable baseline, service counts where only zeek/INDEX.tsv has them, and the connections
// that Zeek's protocol logs (mysql.log, rfb.log, sip.log, ...) name.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { connRecordsOf, asRows } from "./helpers/conn.js";
import { CAPTURES, HAVE_CAPTURES, connTraces, readZeekLog, noteMissingCaptures } from "./helpers/captures.js";

/** Added by Zeek's scripts from other connections' content, not by confirmation. */
const SCRIPT_SERVICES = new Set(["ftp-data", "irc-dcc-data", "gridftp", "gridftp-data"]);

type Row = Record<string, string>;

/** Analyzers still being written: a mismatch involving only these is reported, not failed. */
const PENDING = new Set<string>();
function pending(what: string[]): boolean {
  return what.length > 0 && what.every((s) => PENDING.has(s));
}

/** Our conn rows for a capture, cached (several checks read the same trace). */
const cache = new Map<string, Row[]>();
function ours(pcap: string, ignoreChecksums: boolean): Row[] {
  const k = `${pcap} ${ignoreChecksums}`;
  let rows = cache.get(k);
  if (!rows) {
    rows = asRows(connRecordsOf(readFileSync(pcap), ignoreChecksums));
    cache.set(k, rows);
  }
  return rows;
}

/** Endpoints in a fixed order: the roles of -b runs may differ (smaller likely_server_ports). */
function pairKey(r: Row): string {
  const a = `${r["id.orig_h"]} ${r["id.orig_p"]}`, b = `${r["id.resp_h"]} ${r["id.resp_p"]}`;
  return `${a < b ? a + " | " + b : b + " | " + a} ${r.proto ?? ""}`;
}

function services(s: string | undefined): string[] {
  if (!s || s === "-" || s === "(empty)") return [];
  return s.split(",").filter((x) => !SCRIPT_SERVICES.has(x));
}

noteMissingCaptures("protocol detection golden tests");

// ---------------------------------------------------------------- conn.log service per connection

const traces = connTraces();
let compared = 0, agreeing = 0;
for (const t of traces) {
  const log = readZeekLog(t.connLog);
  if (!log.fields.includes("service")) continue;
  const byTuple = log.fields.includes("id.orig_h") && log.fields.includes("id.resp_p");
  test(`${t.name}: each connection's service equals Zeek's${t.bare ? " (-b: Zeek's are a subset of ours)" : ""}`, () => {
    const mine = ours(t.pcap, t.ignoreChecksums);
    const problems: string[] = [];
    if (byTuple) {
      const have = new Map<string, Row[]>();
      for (const r of mine) have.set(pairKey(r), [...(have.get(pairKey(r)) ?? []), r]);
      const hasProto = log.fields.includes("proto");
      for (const z of log.rows) {
        const key = hasProto ? pairKey(z) : pairKey({ ...z, proto: "tcp" });
        let list = have.get(key);
        if (!list && !hasProto) list = have.get(pairKey({ ...z, proto: "udp" }));
        const want = services(z.service);
        // one 5-tuple can hold several connections: take the best match
        let idx = (list ?? []).findIndex((r) => services(r.service).join(",") === want.join(","));
        if (idx < 0 && t.bare) idx = (list ?? []).findIndex((r) => want.every((s) => services(r.service).includes(s)));
        compared++;
        if (list && idx >= 0) {
          agreeing++;
          list.splice(idx, 1);
          continue;
        }
        const line = `${key}: zeek ${want.join(",") || "-"}, ours ${(list ?? []).map((r) => r.service).join(" | ") || "(no connection)"}`;
        const missing = want.filter((w) => !(list ?? []).some((r) => services(r.service).includes(w)));
        if (pending(missing)) console.log(`    pending (${missing.join(",")}): ${t.name} ${line}`);
        else problems.push(line);
      }
    } else {
      // a column-only baseline: compare the multiset of services
      const want = log.rows.map((r) => services(r.service).join(",") || "-").sort();
      const got = mine.map((r) => services(r.service).join(",") || "-").sort();
      compared += want.length;
      if (want.join(" ") === got.join(" ")) agreeing += want.length;
      else if (pending(want.flatMap((w) => w.split(",")).filter((w) => w !== "-" && !got.join(",").split(",").includes(w)))) console.log(`    pending: ${t.name} services zeek [${want.join(" ")}] ours [${got.join(" ")}]`);
      else problems.push(`services zeek [${want.join(" ")}] ours [${got.join(" ")}]`);
    }
    assert.ok(problems.length === 0, `services differ:\n  ${problems.join("\n  ")}`);
  });
}

// ---------------------------------------------------------------- zeek/INDEX.tsv service counts

if (HAVE_CAPTURES) {
  const zeekDir = join(CAPTURES, "zeek");
  for (const line of readFileSync(join(zeekDir, "INDEX.tsv"), "utf8").split("\n").slice(1)) {
    const [name, tracePath, , , , , svc, , cmd] = line.split("\t");
    if (!name || !svc) continue;
    const dir = join(zeekDir, name);
    if (existsSync(join(dir, "conn.log"))) continue; // compared per connection above
    const pcap = join(dir, tracePath.split("/").pop()!);
    if (!existsSync(pcap)) continue;
    const counts = new Map<string, number>();
    for (const part of svc.split(",")) {
      const [s, n] = part.split(":");
      if (s === "-" || services(s).length === 0) continue;
      counts.set(s, (counts.get(s) ?? 0) + Number(n));
    }
    const option = /"([\w:]+=[^"]*)"/.exec(cmd ?? "");
    if (option) {
      console.log(`  excluded zeek/${name}: Zeek ran with ${option[1]}, an option we do not take`);
      continue;
    }
    const bare = / -b /.test(cmd ?? "");
    test(`zeek/${name}: confirmations per analyzer equal INDEX.tsv's service counts${bare ? " (-b: at least)" : ""}`, () => {
      const got = new Map<string, number>();
      for (const r of ours(pcap, / -C /.test(cmd ?? ""))) for (const s of services(r.service)) got.set(s, (got.get(s) ?? 0) + 1);
      for (const [s, n] of counts) {
        const g = got.get(s) ?? 0;
        if (PENDING.has(s) && g < n) { console.log(`    pending (${s}): zeek/${name} zeek ${n}, ours ${g}`); continue; }
        assert.ok(bare ? g >= n : g === n, `${s}: zeek ${n}, ours ${g}`);
      }
      if (!bare) for (const [s, g] of got) assert.ok(counts.has(s), `${s}: zeek 0, ours ${g}`);
    });
  }
}

// ---------------------------------------------------------------- protocol logs

/** Which of our analyzer names a protocol log stands for. */
const LOG_SERVICE: Record<string, string[]> = {
  "mysql.log": ["mysql"], "rfb.log": ["rfb"], "sip.log": ["sip"], "dce_rpc.log": ["dce_rpc"],
  "dnp3.log": ["dnp3_tcp", "dnp3_udp"], "kerberos.log": ["krb", "krb_tcp"], "mqtt_connect.log": ["mqtt"],
  "mqtt_publish.log": ["mqtt"], "mqtt_subscribe.log": ["mqtt"], "ntp.log": ["ntp"], "radius.log": ["radius"],
  "rdp.log": ["rdp"], "dns.log": ["dns"], "smtp.log": ["smtp"], "tunnel.log": ["socks"],
};
/** Traces whose expected output is not a log: the service their connections confirm. */
const OUTPUT_SERVICE: Record<string, string> = { "zeek__irc-basic.pcap": "irc", "zeek__redis_set.pcap": "redis" };

if (HAVE_CAPTURES) {
  const dir = join(CAPTURES, "zeek-protocols");
  const runs = new Map<string, string[]>();
  for (const line of readFileSync(join(dir, "RUNS.tsv"), "utf8").split("\n").slice(1)) {
    const cells = line.split("\t");
    if (cells[0]) runs.set(cells[0], cells);
  }
  for (const file of readdirSync(dir).sort()) {
    const m = /^(.*)\.expected\.(.*)$/.exec(file);
    if (!m) continue;
    const [, pcapName, what] = m;
    const run = runs.get(pcapName);
    if (!run || run[2] === "no") continue;
    const ignoreChecksums = / -C /.test(run[1]);
    const pcap = join(dir, pcapName);
    if (what === "knownservices-all.log") {
      test(`zeek-protocols/${pcapName}: the services known-services names are confirmed on those servers`, () => {
        const mine = ours(pcap, ignoreChecksums);
        for (const z of readZeekLog(join(dir, file)).rows) {
          const svc = z.service.toLowerCase();
          const hit = mine.some((r) => r["id.resp_h"] === z.host && r["id.resp_p"] === z.port_num && services(r.service).includes(svc));
          if (!hit && PENDING.has(svc)) { console.log(`    pending (${svc}): ${z.host}:${z.port_num}`); continue; }
          assert.ok(hit, `${z.host}:${z.port_num}/${z.port_proto}: no connection confirmed ${svc}`);
        }
      });
      continue;
    }
    const wanted = LOG_SERVICE[what] ?? (OUTPUT_SERVICE[pcapName] ? [OUTPUT_SERVICE[pcapName]] : undefined);
    if (!wanted) continue;
    if (pending(wanted)) { console.log(`  pending (${wanted.join(",")}): zeek-protocols/${pcapName} ${what}`); continue; }
    test(`zeek-protocols/${pcapName}: the connections ${what} names confirm ${wanted.join(" or ")}`, () => {
      const mine = ours(pcap, ignoreChecksums);
      if (!what.endsWith(".log")) {
        assert.ok(mine.some((r) => services(r.service).some((s) => wanted.includes(s))), `no connection confirmed ${wanted.join(" or ")}`);
        return;
      }
      const rows = readZeekLog(join(dir, file)).rows;
      const seen = new Set<string>();
      for (const z of rows) {
        if (!z["id.resp_h"]) continue;
        const key = `${z["id.orig_h"]} ${z["id.orig_p"]} ${z["id.resp_h"]} ${z["id.resp_p"]}`;
        if (seen.has(key)) continue;
        seen.add(key);
        // tunnel.log's SOCKS row names the server (orig port 0)
        const match = (r: Row) => what === "tunnel.log"
          ? r["id.resp_h"] === z["id.resp_h"] && r["id.resp_p"] === z["id.resp_p"]
          : pairKey({ ...r, proto: "" }) === pairKey({ ...z, proto: "" });
        const conns = mine.filter(match);
        assert.ok(conns.length > 0, `${key}: no such connection`);
        assert.ok(conns.some((r) => services(r.service).some((s) => wanted.includes(s))), `${key}: ours ${conns.map((r) => r.service).join(" | ")}, want ${wanted.join(" or ")}`);
      }
    });
  }
}

test("agreement with Zeek's conn.log services", () => {
  if (compared > 0) console.log(`  conn.log services: ${agreeing}/${compared} connections agree with Zeek`);
});

test.run();
