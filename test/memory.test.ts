// Memory stays bounded whatever the input's size: about 2 GB of generated traffic (bench/gen.ts,
// the benchmarks' seeded generator: the "mixed" profile, 20,000 sessions open at once, at 10,000
// packets/s so that 2 GB span 8.5 minutes of capture time and Zeek's timeouts end connections as
// they would on a real link) streamed through the real command line on a pipe. Its peak resident
// set size (process.resourceUsage().maxRSS as the CLI exits, test/helpers/maxrss.mjs) stays under
// the bound the README documents, and does not grow with the input (2 GB against 200 MB of the same
// traffic). Every packet generated is read and accounted for.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO } from "./helpers/captures.js";
import { CLI } from "./helpers/cli.js";

/** The README's bound on the CLI's peak RSS ("Broken and hostile input"). */
const RSS_BOUND_MB = 300;
/** Growth allowed from 200 MB to 2 GB of the same traffic: the top table's keys, not the input. */
const GROWTH_MB = 48;
/** bench/gen.ts "mixed" writes about 384 bytes per packet: 5.1 million packets are 1.96 GB. */
const PACKETS_2GB = 5_100_000;

const GEN = join(REPO, "bench/gen.ts");
const MAXRSS = join(REPO, "test/helpers/maxrss.mjs");

interface Measured { code: number; rssMb: number; seconds: number; packets: number; stats: Record<string, any>; stdoutLines: number }

function stream(packets: number, args: string[]): Measured {
  const started = Date.now();
  // stdout is counted by wc: a conn.log of gigabytes of traffic need not pass through this process
  const script = `node --import tsx '${GEN}' --packets ${packets} --rate 10000 --seed 1 --out - | node --import '${MAXRSS}' '${CLI}' ${args.join(" ")} - | wc -l`;
  const r = spawnSync("bash", ["-o", "pipefail", "-c", script], { cwd: REPO, maxBuffer: 16 << 20 });
  const err = r.stderr.toString();
  const rss = /zk-maxrss-kb (\d+)/.exec(err);
  const gen = /gen: \w+: (\d+) packets/.exec(err);
  const statsLine = err.split("\n").find((l) => l.startsWith('{"records_read"'));
  assert.ok(rss && gen && statsLine, `measurements on stderr: ${err.slice(0, 500)}`);
  return {
    code: r.status ?? -1,
    rssMb: Number(rss![1]) / 1024,
    seconds: (Date.now() - started) / 1000,
    packets: Number(gen![1]),
    stats: JSON.parse(statsLine!),
    stdoutLines: Number(r.stdout.toString().trim()),
  };
}

function checkRead(m: Measured, what: string): void {
  assert.is(m.code, 0, `${what}: exit code`);
  assert.is(m.stats.records_read, m.packets, `${what}: every packet generated is read`);
  const skipped = Object.values(m.stats.records_skipped as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.is(skipped, 0, `${what}: valid traffic, nothing skipped (${JSON.stringify(m.stats.records_skipped)})`);
  assert.is(m.stats.records_read, m.stats.records_decoded + skipped, `${what}: accounting`);
}

const mb = (m: Measured) => `${(m.stats.bytes_read / 1e6).toFixed(0)} MB`;

test(`about 2 GB through "zk-stream top" on a pipe: peak RSS under ${RSS_BOUND_MB} MB, not growing with the input`, () => {
  const small = stream(PACKETS_2GB / 10, ["top", "--stats", "--by", "src,dport", "-n", "5"]);
  checkRead(small, "a tenth");
  const big = stream(PACKETS_2GB, ["top", "--stats", "--by", "src,dport", "-n", "5"]);
  checkRead(big, "2 GB");
  assert.ok(big.stats.bytes_read > 1.9e9, `${big.stats.bytes_read} bytes`);
  console.log(`  top: ${mb(small)} peak RSS ${small.rssMb.toFixed(0)} MB (${small.seconds.toFixed(1)} s); ${mb(big)} (${big.packets} packets, ${big.stats.connections} connections) peak RSS ${big.rssMb.toFixed(0)} MB (${big.seconds.toFixed(1)} s)`);
  assert.ok(big.rssMb < RSS_BOUND_MB, `peak RSS ${big.rssMb.toFixed(0)} MB < ${RSS_BOUND_MB} MB`);
  assert.ok(big.rssMb - small.rssMb < GROWTH_MB, `peak RSS grows by ${(big.rssMb - small.rssMb).toFixed(0)} MB from ${mb(small)} to ${mb(big)} of input (< ${GROWTH_MB} MB)`);
});

test(`about 1 GB through "zk-stream conn" (a record per connection, streamed out): peak RSS under ${RSS_BOUND_MB} MB`, () => {
  const m = stream(PACKETS_2GB / 2, ["conn", "--stats"]);
  checkRead(m, "conn");
  console.log(`  conn: ${mb(m)} (${m.stats.connections} connections) peak RSS ${m.rssMb.toFixed(0)} MB (${m.seconds.toFixed(1)} s)`);
  // the ASCII log: 8 header lines, one line per connection, #close
  assert.is(m.stdoutLines, m.stats.connections + 9, "a conn.log line per connection");
  assert.ok(m.rssMb < RSS_BOUND_MB, `peak RSS ${m.rssMb.toFixed(0)} MB < ${RSS_BOUND_MB} MB`);
});

test.run();
