// The installed command (bin/zk-stream, package.json's "bin"), as npm links it: a symlink in
// node_modules/.bin. It starts Node without NODE_EXTRA_CA_CERTS; everything else must be what
// `node dist/cli/main.js` does: output, exit codes, stdin from tcpdump, and signals, since the
// script execs Node.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
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
// a bundle that cannot be loaded: Node warns about it at start-up, before any JavaScript runs;
// the script runs the `node` on PATH: this one, as the comparisons do
const ENV = {
  ...process.env, NODE_EXTRA_CA_CERTS: join(TMP, "no-such-bundle.pem"),
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
};

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

test("bin: run by its own path, through sh from its directory, through a symlinked directory and a chain of relative links", () => {
  const own = spawnSync(join(REPO, "bin/zk-stream"), ["--version"], { env: ENV });
  assert.is(own.status, 0, own.stderr.toString());
  assert.match(own.stdout.toString(), /^zk-stream \d+\.\d+\.\d+/);
  // a directory of links to other directories (~/bin -> /opt/zk-stream/bin), and a relative link
  // to that relative link, in a directory whose name has a space
  mkdirSync(join(TMP, "with space"));
  symlinkSync(join(REPO, "bin"), join(TMP, "linked-bin"));
  symlinkSync("../node_modules/.bin/zk-stream", join(TMP, "with space/zk"));
  const runs = [
    spawnSync("sh", ["zk-stream", "--version"], { cwd: join(REPO, "bin"), env: ENV }),
    spawnSync(join(TMP, "linked-bin/zk-stream"), ["--version"], { env: ENV }),
    spawnSync(join(TMP, "with space/zk"), ["--version"], { env: ENV }),
  ];
  for (const r of runs) {
    assert.is(r.status, 0, r.stderr.toString());
    assert.is(r.stdout.toString(), own.stdout.toString());
  }
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
  let timer: NodeJS.Timeout | undefined;
  try {
    child.stdin.write(readFileSync(SAMPLE)); // and the pipe stays open
    await until("a tick", () => out.includes("\n"), 10000, () => err);
    child.kill("SIGINT");
    // without exec the signal would reach sh alone, and Node would go on reading the open pipe
    const late = new Promise<string>((resolve) => { timer = setTimeout(resolve, 5000, "still running"); });
    assert.is(await Promise.race([exit, late]), 0, err);
  } finally {
    clearTimeout(timer);
    child.stdin.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  const last = out.trimEnd().split("\n").pop()!;
  assert.equal(JSON.parse(last), JSON.parse(zk(["top", "--format", "json", "-n", "0", SAMPLE]).stdout));
});

test.after(() => rmSync(TMP, { recursive: true, force: true }));

test.run();
