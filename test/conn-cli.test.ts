// zk-stream conn as users run it: the ASCII log read back by field name (as zeek-cut does),
// Zeek's JSON form, and records streaming out of a pipe that stays open.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zk, CLI } from "./helpers/cli.js";
import { CAPTURES, HAVE_CAPTURES, readZeekLog, noteMissingCaptures } from "./helpers/captures.js";
import { CONN_FIELDS } from "../src/format/conn.js";

const COMPARED = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "duration", "orig_bytes", "resp_bytes", "conn_state", "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "ip_proto"];

noteMissingCaptures("conn command tests");
if (HAVE_CAPTURES) {
  const trace = join(CAPTURES, "zeek/http_dns_wikipedia/wikipedia.pcap");
  const baseline = join(CAPTURES, "zeek/http_dns_wikipedia/conn.log");

  test("the ASCII log, read back through its #fields header, has Zeek's records", () => {
    const r = zk(["conn", trace]);
    assert.is(r.code, 0, r.stderr);
    const dir = mkdtempSync(join(tmpdir(), "zk-conn-"));
    writeFileSync(join(dir, "conn.log"), r.stdout);
    const ours = readZeekLog(join(dir, "conn.log"));
    assert.equal(ours.fields, [...CONN_FIELDS]);
    assert.match(r.stdout, /^#separator \\x09\n#set_separator\t,\n#empty_field\t\(empty\)\n#unset_field\t-\n#path\tconn\n#open\t\d{4}-/);
    assert.match(r.stdout, /\n#close\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\n$/);
    const zeek = readZeekLog(baseline);
    const render = (row: Record<string, string>) => COMPARED.map((c) => row[c]).join(" ");
    assert.equal(ours.rows.map(render).sort(), zeek.rows.map(render).sort());
    // uids: C + base62, unique
    const uids = ours.rows.map((row) => row.uid);
    for (const u of uids) assert.match(u, /^C[0-9A-Za-z]+$/);
    assert.is(new Set(uids).size, uids.length);
  });

  test("ndjson is Zeek's JSON log: the same records, keys in column order, unset fields left out", () => {
    const ascii = readZeekLogText(zk(["conn", trace]).stdout);
    const r = zk(["conn", "--format", "ndjson", trace]);
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.is(lines.length, ascii.length);
    for (const [i, obj] of lines.entries()) {
      const keys = Object.keys(obj);
      const order = keys.map((k) => CONN_FIELDS.indexOf(k as (typeof CONN_FIELDS)[number]));
      assert.ok(order.every((v, j) => v >= 0 && (j === 0 || v > order[j - 1])), `keys out of order: ${keys}`);
      assert.type(obj.ts, "number");
      assert.type(obj["id.orig_p"], "number");
      assert.not.ok("local_orig" in obj, "local_orig only with --local-nets");
      const row = ascii[i];
      for (const f of CONN_FIELDS) {
        if (f === "local_orig" || f === "local_resp") continue;
        if (row[f] === "-") assert.not.ok(f in obj, `${f} is unset in ASCII but present in JSON`);
        else if (f === "tunnel_parents") assert.equal(obj[f], row[f].split(","));
        else if (f === "ts" || f === "duration") assert.is(obj[f], Number(row[f]), f);
        else assert.is(String(obj[f]), row[f], f);
      }
    }
  });

  test("connection_end events carry the conn record: the same fields as the conn command's JSON", () => {
    const conn = zk(["conn", "--format", "ndjson", trace]).stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const ends = zk(["events", "--events", "connection_end", trace]).stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.is(ends.length, conn.length);
    const byUid = new Map(conn.map((c) => [c.uid, c]));
    for (const e of ends) {
      const c = byUid.get(e.uid);
      assert.ok(c, `no conn record for ${e.uid}`);
      const { event, ts, ...fields } = e;
      const { ts: _start, ...expected } = c!;
      assert.is(event, "connection_end");
      assert.type(ts, "number");
      assert.equal(fields, expected);
    }
  });

  test("--local-nets sets local_orig and local_resp", () => {
    const r = zk(["conn", "--format", "ndjson", "--local-nets", "141.142.0.0/16", trace]);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const row of rows) {
      assert.is(row.local_orig, String(row["id.orig_h"]).startsWith("141.142."));
      assert.is(row.local_resp, String(row["id.resp_h"]).startsWith("141.142."));
    }
    assert.is(zk(["conn", "--local-nets", "10.0.0.0/33", trace]).code, 1);
    const word = zk(["conn", "--local-nets", "foo", trace]);
    assert.is(word.code, 1);
    assert.is(word.stderr, `zk-stream: --local-nets: bad network "foo" (an address or a CIDR: 10.0.0.0/8, fd00::/8)\n`);
  });

  test("a live pipe: the record of a closed connection appears within the close delay plus a second", async () => {
    // one TCP connection, closed by FINs from both sides (Zeek: SF, removed 5 s after its last packet)
    const pcap = readFileSync(join(CAPTURES, "zeek/tcp_flip_without_syn/http-on-irc-port-missing-syn.pcapng"));
    const child = spawn(process.execPath, [CLI, "conn", "--format", "ndjson"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => { out += d.toString(); });
    const started = Date.now();
    child.stdin.write(pcap);
    // the pipe stays open: no end of input
    const seenAt = await new Promise<number>((resolve, reject) => {
      const poll = setInterval(() => {
        if (out.includes('"id.resp_p":80')) { clearInterval(poll); resolve(Date.now()); }
        else if (Date.now() - started > 12_000) { clearInterval(poll); reject(new Error("no record within 12 s")); }
      }, 50);
    });
    child.stdin.end();
    await new Promise((resolve) => child.on("close", resolve));
    const waited = (seenAt - started) / 1000;
    assert.ok(waited <= 5 + 1 + 0.5, `the record took ${waited.toFixed(2)} s`);
    assert.ok(waited >= 3, `the record came before the close delay (${waited.toFixed(2)} s): it should wait for Zeek's timer`);
    const rec = JSON.parse(out.trim().split("\n")[0]);
    assert.is(rec.conn_state, "SF");
    assert.is(rec["id.orig_h"], "141.142.228.5");
  });
}

function readZeekLogText(text: string): Record<string, string>[] {
  const dir = mkdtempSync(join(tmpdir(), "zk-conn-"));
  writeFileSync(join(dir, "conn.log"), text);
  return readZeekLog(join(dir, "conn.log")).rows;
}

test.run();
