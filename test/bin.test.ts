// The installed command (bin/zk-stream, package.json's "bin"), as npm links it: a symlink in
// node_modules/.bin. It starts Node without NODE_EXTRA_CA_CERTS; everything else must be what
// `node dist/cli/main.js` does: output, exit codes, stdin from tcpdump, and signals, since the
// script execs Node.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zk, haveTool, until } from "./helpers/cli.js";
import { REPO } from "./helpers/captures.js";

const SAMPLE = join(REPO, "examples/sample.pcap");
const TMP = mkdtempSync(join(tmpdir(), "zk-bin-"));
const DAMAGED = join(TMP, "cut.pcap");
writeFileSync(DAMAGED, readFileSync(SAMPLE).subarray(0, 20000)); // cut inside a record
// as npm installs it: node_modules/.bin/zk-stream -> the package's bin/zk-stream
mkdirSync(join(TMP, "node_modules/.bin"), { recursive: true });
const LINKED = join(TMP, "node_modules/.bin/zk-stream");
symlinkSync(join(REPO, "bin/zk-stream"), LINKED);
// a bundle that cannot be loaded: Node warns about it at start-up, before any JavaScript runs
const ENV = { ...process.env, NODE_EXTRA_CA_CERTS: join(TMP, "no-such-bundle.pem") };

function linked(args: string[], input?: Buffer) {
  const r = spawnSync(LINKED, args, { input, env: ENV, maxBuffer: 16 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test("bin: Node starts without NODE_EXTRA_CA_CERTS (no warning about its bundle); the rows are main.js's", () => {
  const plain = spawnSync(process.execPath, [join(REPO, "dist/cli/main.js"), "--version"], { env: ENV });
  assert.match(plain.stderr.toString(), /extra certs/, "Node itself warns: the check below can fail");
  const r = linked(["top", "--by", "src,dport", SAMPLE]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, "");
  const direct = zk(["top", "--by", "src,dport", SAMPLE]);
  assert.is(r.stdout, direct.stdout);
  assert.ok(r.stdout.split("\n").length > 5, r.stdout);
});

test("bin: exit codes pass through (usage 1, unreadable 2, damaged 3 with the message)", () => {
  assert.is(linked(["top", "--by", "nonsense", SAMPLE]).code, 1);
  const missing = linked(["top", join(TMP, "missing.pcap")]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /missing\.pcap/);
  const damaged = linked(["top", DAMAGED]);
  assert.is(damaged.code, 3);
  assert.is(damaged.stderr, zk(["top", DAMAGED]).stderr);
});

test("bin: run by its own path and through sh, from its directory", () => {
  const own = spawnSync(join(REPO, "bin/zk-stream"), ["--version"], { env: ENV });
  assert.is(own.status, 0);
  const viaSh = spawnSync("sh", ["zk-stream", "--version"], { cwd: join(REPO, "bin"), env: ENV });
  assert.is(viaSh.status, 0, viaSh.stderr.toString());
  assert.is(viaSh.stdout.toString(), own.stdout.toString());
  assert.match(own.stdout.toString(), /^zk-stream \d+\.\d+\.\d+/);
});

if (haveTool("tcpdump")) {
  test("bin: tcpdump -w - | zk-stream gives the file's rows", () => {
    const r = spawnSync("sh", ["-c", `tcpdump -r '${SAMPLE}' -w - 2>/dev/null | '${LINKED}' top --by src`], { env: ENV });
    assert.is(r.status, 0, r.stderr.toString());
    assert.is(r.stdout.toString(), zk(["top", "--by", "src", SAMPLE]).stdout);
  });
}

test("bin: SIGINT to the command's pid (Node, after exec) prints the table, exit 0", async () => {
  const child = spawn(LINKED, ["top", "--format", "json", "-n", "0", "--interval", "100ms"], { env: ENV });
  let out = "", err = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stderr.on("data", (d) => { err += d; });
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  child.stdin.write(readFileSync(SAMPLE)); // and the pipe stays open
  await until("a tick", () => out.includes("\n"), 10000, () => err);
  child.kill("SIGINT");
  // without exec the signal would reach sh alone, and Node would go on reading the open pipe
  const ended = await Promise.race([exit, new Promise<string>((resolve) => setTimeout(resolve, 5000, "still running"))]);
  if (ended === "still running") spawnSync("pkill", ["-f", `${LINKED}|dist/cli/main.js top --format json -n 0 --interval 100ms`]);
  assert.is(ended, 0, err);
  const last = out.trimEnd().split("\n").pop()!;
  assert.equal(JSON.parse(last), JSON.parse(zk(["top", "--format", "json", "-n", "0", SAMPLE]).stdout));
  child.stdin.destroy();
});

test.run();
