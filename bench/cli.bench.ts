// Whole-command benchmark (issue 6, part 3): `zk-stream top` against the tools a responder would
// otherwise use, on one generated capture, each command a process of its own, as a user runs it.
//
//   npm run bench:cli [-- --packets N] [--rounds N] [--seed N] [--profile mixed] [--skip tshark,argus]
//
// The capture (bench/gen.ts, `mixed` profile by default: 2,000,000 packets, ~750 MB) is generated
// once and cached in /tmp/zk-bench, keyed by the options and the generator's sources. The file is
// read once before timing (warm page cache: every figure is for a cached file). Then each round
// runs every command once, in an order rotated from round to round, so that a burst of load from
// elsewhere on a shared machine hits different commands; the table gives medians over the rounds,
// and each ratio also paired (the median of its per-round ratios).
// Wall time is measured here around the child; peak RSS and CPU time come from GNU time.
// A second capture, F2, holds the same packets with Linux cooked capture v2 headers instead of
// Ethernet, as `tcpdump -i any` writes them (20 link bytes instead of 14); a third, F3, holds each
// Ethernet frame inside VXLAN from one mirror source, as cloud traffic mirroring delivers them.
// Command ids for --skip: node, node-nocerts, readloop, readloop-nocerts, zk-src, zk-src-main, zk-src-sll2, zk-src-vxlan,
// zk-src-stdin, readloop-pipe, zk-src-pipe, zk-api, zk-service (zk-detect while the CLI has no service key), zk-src-threads,
// zk-service-threads, tcpdump, argus, ndpi, tshark,
// pcap-parser. It measures what dist/ and build/zk.wasm hold: it never builds.
import { createRequire } from "node:module";
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cachedCapture } from "./lib/capture.js";
import { builds, describeMachine, machine, mb, median, secs, si, table } from "./lib/report.js";
import { HAVE_GNU_TIME, runTimed, which, type RunResult } from "./lib/run.js";
import { PCAP_PARSER_MAP, READ_LOOP, ZK_API_TOP } from "./lib/scripts.js";
import type { ProfileName } from "./gen.js";
import type { Link } from "./gen/frame.js";

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(REPO, "dist/cli/main.js");
// the command users run (package.json's "bin"): it starts Node on CLI without NODE_EXTRA_CA_CERTS
const ZK = join(REPO, "bin/zk-stream");
const NODE = process.execPath;

interface Command {
  id: string;
  label: string;
  argv: string[];
  stdinFile?: string;
  env?: NodeJS.ProcessEnv;
  /** The capture it reads when not F (F2, F3): its size and packets for MB/s and pkt/s. */
  capture?: { path: string; bytes: number; packets: number; connections: number };
  /** Checks the first run's output; returns a complaint or undefined. */
  check?: (r: RunResult) => string | undefined;
  note?: string;
}

interface Measured {
  cmd: Command;
  /** Each run with the round it ran in (for paired ratios). */
  runs: (RunResult & { round: number })[];
  failed?: string;
}

function parseCount(v: string): number {
  const m = /^([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)([kKmM]?)$/.exec(v.trim());
  if (!m) throw new Error(`not a count: ${v}`);
  return Math.round(Number(m[1].replace(/_/g, "")) * ({ "": 1, k: 1e3, m: 1e6 } as Record<string, number>)[m[2].toLowerCase()]);
}

function tail(s: string, n = 300): string {
  const t = s.trim();
  return t.length > n ? "..." + t.slice(-n) : t;
}

/** Reads the whole file once (page cache warm for every command alike). */
function warm(path: string): number {
  const fd = openSync(path, "r");
  const buf = Buffer.allocUnsafe(1 << 20);
  let total = 0;
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) total += n;
  } finally {
    closeSync(fd);
  }
  return total;
}

async function main(): Promise<number> {
  const { values: a } = parseArgs({
    options: {
      packets: { type: "string" }, seed: { type: "string" }, rounds: { type: "string" },
      profile: { type: "string" }, skip: { type: "string" }, help: { type: "boolean", short: "h" },
    },
  });
  if (a.help) {
    process.stdout.write("usage: npm run bench:cli [-- --packets N] [--rounds N] [--seed N] [--profile mixed] [--skip ID,...]\n");
    return 0;
  }
  const packets = a.packets ? parseCount(a.packets) : 2_000_000;
  const seed = Number(a.seed ?? 1);
  const rounds = Number(a.rounds ?? 3);
  const profile = (a.profile ?? "mixed") as ProfileName;
  const skip = new Set((a.skip ?? "").split(",").filter(Boolean));
  if (!existsSync(CLI)) {
    process.stderr.write(`bench:cli: ${CLI} is missing: run npm run build first\n`);
    return 2;
  }

  process.stderr.write(`bench:cli: capture ${profile}, ${packets} packets, seed ${seed} ...\n`);
  /** The capture for a link layer, generated once and cached, read once to warm the page cache. */
  const prepare = (link: Link): NonNullable<Command["capture"]> => {
    const c = cachedCapture({ profile, packets, seed, link });
    process.stderr.write(`bench:cli: ${c.path} (${c.cached ? "cached" : `generated in ${c.seconds.toFixed(1)} s`}), warming the page cache ...\n`);
    return { path: c.path, bytes: warm(c.path), packets: c.result.packets, connections: c.result.connections };
  };
  const cap = prepare("ethernet");
  const F = cap.path;
  const size = cap.bytes;
  const P = cap.packets;
  // the same traffic as `tcpdump -i any` writes it (Linux cooked capture v2 instead of Ethernet),
  // and as cloud traffic mirroring delivers it (inside VXLAN)
  const variants = [
    { id: "zk-src-sll2", name: "F2", link: "sll2", label: "zk-stream top --by src F2 (F as tcpdump -i any writes it)" },
    { id: "zk-src-vxlan", name: "F3", link: "vxlan", label: "zk-stream top --by src F3 (F inside VXLAN, as mirrored)" },
  ] as const;
  const prepared = variants.map((v) => ({ ...v, capture: skip.has(v.id) ? undefined : prepare(v.link) }));

  const notes: string[] = [];
  const zkTopCheck = (r: RunResult): string | undefined => {
    const lines = r.stdout.trim().split("\n");
    return lines.length >= 2 && /count/.test(lines[0]) ? undefined : `unexpected output: ${tail(r.stdout, 200)}`;
  };
  const readAll = (r: RunResult): string | undefined =>
    (Number(r.stdout.trim()) === size ? undefined : `read ${r.stdout.trim()} bytes, the file has ${size}`);
  const pcapParser = createRequire(import.meta.url).resolve("pcap-parser");

  const cmds: Command[] = [
    { id: "node", label: "node -e 0 (Node's start-up)", argv: [NODE, "-e", "0"] },
    {
      id: "readloop", label: "Node fs.readSync loop (the floor)", argv: [NODE, "-e", READ_LOOP, F], check: readAll,
    },
    { id: "zk-src", label: "zk-stream top --by src F", argv: [ZK, "top", "--by", "src", F], check: zkTopCheck },
    // a skipped variant's capture is not even generated: its command stays, for the skip note
    ...prepared.map(({ id, label, capture }) => ({
      id, label, argv: [ZK, "top", "--by", "src", capture?.path ?? ""], check: zkTopCheck, capture,
    })),
    { id: "zk-src-stdin", label: "zk-stream top --by src < F", argv: [ZK, "top", "--by", "src"], stdinFile: F, check: zkTopCheck },
    // through a pipe, as from tcpdump: cat's copy into the pipe and the 64 KiB pipe buffer cost
    // even the bare read loop, which is timed the same way
    {
      id: "readloop-pipe", label: "Node fs.readSync loop, piped from cat F", argv: ["bash", "-c", 'cat "$0" | "$1" -e "$2" -', F, NODE, READ_LOOP],
      check: readAll,
    },
    { id: "zk-src-pipe", label: "zk-stream top --by src, piped from cat F", argv: ["bash", "-c", 'cat "$0" | "$1" top --by src', F, ZK], check: zkTopCheck },
    {
      id: "zk-api", label: "zk.top(F) (the Node API, conns, pkts and bytes per src)", argv: [NODE, "-e", ZK_API_TOP, join(REPO, "dist/index.js"), F],
      check: (r) => (/^[0-9]+\t\S+$/m.test(r.stdout) ? undefined : `unexpected output: ${tail(r.stdout, 200)}`),
    },
    { id: "zk-service", label: "zk-stream top --by src,service F", argv: [ZK, "top", "--by", "src,service", F], check: zkTopCheck },
    // two threads, each reading F and keeping half the connections (src/cli/threads.ts)
    { id: "zk-src-threads", label: "zk-stream top --by src --threads 2 F", argv: [ZK, "top", "--by", "src", "--threads", "2", F], check: zkTopCheck },
    { id: "zk-service-threads", label: "zk-stream top --by src,service --threads 2 F", argv: [ZK, "top", "--by", "src,service", "--threads", "2", F], check: zkTopCheck },
    { id: "tcpdump", label: "tcpdump -r F -w /dev/null", argv: ["tcpdump", "-r", F, "-w", "/dev/null"] },
    { id: "argus", label: "argus -r F -w /dev/null", argv: ["argus", "-r", F, "-w", "/dev/null"] },
    { id: "ndpi", label: "ndpiReader -i F", argv: ["ndpiReader", "-i", F] },
    { id: "tshark", label: "tshark -q -z endpoints,ip -r F", argv: ["tshark", "-q", "-z", "endpoints,ip", "-r", F] },
    {
      id: "pcap-parser", label: "pcap-parser + Map (packets per source)", argv: [NODE, "-e", PCAP_PARSER_MAP, pcapParser, F],
      check: (r) => (r.stdout.includes(`# packets ${P},`) ? undefined : `unexpected output: ${tail(r.stdout, 200)}`),
    },
  ];

  // A CA bundle named by NODE_EXTRA_CA_CERTS is read by every Node process at start-up, before any
  // JavaScript runs (this machine sets one): time Node's start-up without it too, and say so.
  if (process.env.NODE_EXTRA_CA_CERTS) {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    cmds.splice(1, 0, { id: "node-nocerts", label: "node -e 0 without NODE_EXTRA_CA_CERTS", argv: [NODE, "-e", "0"], env });
    cmds.splice(cmds.findIndex((c) => c.id === "readloop") + 1, 0, {
      id: "readloop-nocerts", label: "Node fs.readSync loop without NODE_EXTRA_CA_CERTS", argv: [NODE, "-e", READ_LOOP, F], env, check: readAll,
    });
    cmds.splice(cmds.findIndex((c) => c.id === "zk-src") + 1, 0, { id: "zk-src-main", label: "node dist/cli/main.js top --by src F (Node reads the bundle)", argv: [NODE, CLI, "top", "--by", "src", F], check: zkTopCheck });
    notes.push(`NODE_EXTRA_CA_CERTS is set (${process.env.NODE_EXTRA_CA_CERTS}): every Node process reads that bundle at ` +
      `start-up, the read loop's and pcap-parser's included; the zk-stream command (bin/zk-stream) starts Node without it. ` +
      `The two node -e 0 rows show what it costs, and \`node dist/cli/main.js\` times zk-stream with it.`);
  }

  // Does this build's CLI know the service key? If not, time the nearest command that runs
  // protocol detection instead, and say so.
  const probe = runTimed([NODE, CLI, "top", "--by", "src,service", "-n", "1", join(REPO, "examples/sample.pcap")]);
  if (probe.status !== 0) {
    const why = tail(probe.stderr, 160);
    const i = cmds.findIndex((c) => c.id === "zk-service");
    cmds.splice(i, 1, {
      id: "zk-detect", label: "zk-stream events --events analyzer_confirmation F (proxy)",
      argv: [ZK, "events", "--events", "analyzer_confirmation", F],
      check: (r) => (r.stdout.startsWith("{") ? undefined : `unexpected output: ${tail(r.stdout, 200)}`),
    });
    notes.push(`\`top --by src,service\` is not accepted by this build (${why}); in its place: \`zk-stream events --events ` +
      `analyzer_confirmation F\` (counters by src plus protocol detection, one NDJSON line per confirmed connection), ` +
      `and the ndpiReader ratio uses it.`);
  }

  const active: Command[] = [];
  for (const c of cmds) {
    if (skip.has(c.id)) { notes.push(`${c.label}: skipped (--skip ${c.id}).`); continue; }
    if (c.argv[0] !== NODE && !which(c.argv[0])) {
      notes.push(`${c.label}: skipped, \`${c.argv[0]}\` is not installed (Debian: apt-get install ${({ argus: "argus-server", ndpiReader: "libndpi-bin" } as Record<string, string>)[c.argv[0]] ?? c.argv[0]}).`);
      continue;
    }
    active.push(c);
  }
  if (!HAVE_GNU_TIME) notes.push("/usr/bin/time is missing (Debian: apt-get install time): no peak RSS or CPU figures.");

  const results = new Map<string, Measured>(active.map((c) => [c.id, { cmd: c, runs: [] }]));
  for (let round = 0; round < rounds; round++) {
    const order = active.map((_, i) => active[(i + round) % active.length]);
    for (const c of order) {
      const m = results.get(c.id)!;
      if (m.failed) continue;
      const r = runTimed(c.argv, { cwd: REPO, stdinFile: c.stdinFile, env: c.env });
      let bad = r.status !== 0 ? `exit ${r.status ?? r.signal}: ${tail(r.stderr)}` : undefined;
      if (!bad && m.runs.length === 0 && c.check) bad = c.check(r);
      if (bad) {
        m.failed = bad;
        process.stderr.write(`bench:cli: round ${round + 1}: ${c.label}: FAILED: ${bad}\n`);
        continue;
      }
      // keep only what the report needs: outputs can be large (tshark lists every endpoint)
      m.runs.push({ ...r, round, stdout: m.runs.length === 0 ? r.stdout.slice(0, 4000) : "", stderr: "" });
      process.stderr.write(`bench:cli: round ${round + 1}/${rounds}: ${c.label}: ${r.wall.toFixed(2)} s, ${mb(r.rss)} MB\n`);
    }
  }

  const wall = (id: string): number => {
    const m = results.get(id);
    return m && !m.failed && m.runs.length ? median(m.runs.map((r) => r.wall)) : NaN;
  };
  const cpu = (id: string): number => {
    const m = results.get(id);
    return m && !m.failed && m.runs.length ? median(m.runs.map((r) => r.user + r.sys)) : NaN;
  };
  const rss = (id: string): number => {
    const m = results.get(id);
    return m && !m.failed && m.runs.length ? Math.max(...m.runs.map((r) => r.rss)) : NaN;
  };

  // The ratio of two commands' runs in the same round, the median over the rounds where both ran:
  // a round's commands run a minute or two apart at most, so a machine that slows down for a while
  // slows both sides of a pair, where it may slow one command's median and not the other's.
  const paired = (a: string, b: string): number => {
    const num = results.get(a), den = results.get(b);
    if (!num || !den || num.failed || den.failed) return NaN;
    const denByRound = new Map(den.runs.map((r) => [r.round, r.wall]));
    return median(num.runs.filter((r) => denByRound.has(r.round)).map((r) => r.wall / denByRound.get(r.round)!));
  };

  const floor = wall("readloop");
  const rows: string[][] = [];
  for (const m of results.values()) {
    const id = m.cmd.id;
    if (m.failed) {
      rows.push([m.cmd.label, "failed", "", "", "", "", "", ""]);
      notes.push(`${m.cmd.label}: failed: ${m.failed}`);
      continue;
    }
    const w = wall(id);
    const ws = m.runs.map((r) => r.wall);
    const work = !id.startsWith("node");
    const bytes = m.cmd.capture?.bytes ?? size, packetsRead = m.cmd.capture?.packets ?? P;
    rows.push([
      m.cmd.label, secs(w), `${secs(Math.min(...ws))}-${secs(Math.max(...ws))}`, secs(cpu(id)),
      work ? si(packetsRead / w) : "-", work ? (bytes / 1e6 / w).toFixed(0) : "-", mb(rss(id)),
      work && Number.isFinite(floor) ? (w / floor).toFixed(2) : "-",
    ]);
  }

  const m = machine(REPO);
  const cmdline = `npm run bench:cli${a.packets ? ` -- --packets ${a.packets}` : ""}${a.rounds ? ` --rounds ${a.rounds}` : ""}`;
  console.log(`# zk-stream whole-command benchmark: ${cmdline}`);
  console.log(`# ${describeMachine(m)}`);
  console.log(`# measured: ${builds(REPO)}`);
  console.log(`# capture: ${F}: ${profile} profile, seed ${seed}, ${P} packets, ${size} bytes (${mb(size)} MB), ~${cap.connections} connections (generator's count); page cache warm`);
  for (const { name, capture: c } of prepared) {
    if (c) console.log(`# ${name}: ${c.path}: the same packets, ${c.bytes} bytes (${mb(c.bytes)} MB)`);
  }
  console.log(`# ${rounds} rounds, the commands alternating within each round (order rotated per round); medians of wall time.`);
  console.log(`# This machine is shared and busy (other jobs run beside the benchmark): treat differences under ~20% as noise.\n`);
  console.log(table(["command", "wall s (median)", "range s", "CPU s", "pkt/s", "MB/s", "peak RSS MB", "x read loop"], rows));

  const service = results.has("zk-service") ? "zk-service" : "zk-detect";
  const serviceLabel = service === "zk-service" ? "top --by src,service" : "events analyzer_confirmation (proxy for src,service)";
  /** A ratio's name, the commands divided (numerator, denominator), its target and test. */
  type Ratio = [string, string, string, string, (x: number) => boolean];
  const noCerts = results.has("readloop-nocerts");
  const ratios: Ratio[] = [
    // the command starts Node without NODE_EXTRA_CA_CERTS's bundle: the target is judged against
    // the read loop started the same way, when the variable is set
    [noCerts ? "zk top --by src / read loop, both without NODE_EXTRA_CA_CERTS" : "zk top --by src / read loop (floor)",
      "zk-src", noCerts ? "readloop-nocerts" : "readloop", "<= 1.5", (x) => x <= 1.5],
    ...(noCerts ? [["zk top --by src / read loop (with it)", "zk-src", "readloop", "(none)", () => true] as Ratio] : []),
    ["zk top --by src / tcpdump -r -w /dev/null", "zk-src", "tcpdump", "<= 1.0", (x) => x <= 1.0],
    ["argus / zk top --by src", "argus", "zk-src", ">= 4", (x) => x >= 4],
    [`ndpiReader / zk ${serviceLabel}`, "ndpi", service, ">= 10", (x) => x >= 10],
    ["pcap-parser + Map / zk top --by src", "pcap-parser", "zk-src", ">= 10", (x) => x >= 10],
    ["zk top --by src: stdin / file", "zk-src-stdin", "zk-src", "<= 1.2", (x) => x <= 1.2],
    ["zk top --by src: piped (cat F) / file", "zk-src-pipe", "zk-src", "<= 1.2", (x) => x <= 1.2],
    ["zk top --by src piped / read loop piped", "zk-src-pipe", "readloop-pipe", "(none)", () => true],
    ["zk top --by src: Linux cooked v2 (F2) / Ethernet (F)", "zk-src-sll2", "zk-src", "(none)", () => true],
    ["zk top --by src: inside VXLAN (F3) / Ethernet (F)", "zk-src-vxlan", "zk-src", "(none)", () => true],
    ["pcap-parser + Map / zk.top(F) (the Node API)", "pcap-parser", "zk-api", "(none)", () => true],
    ["tshark endpoints / zk top --by src", "tshark", "zk-src", "(none)", () => true],
    // --threads 2 is not the default (more CPU and memory for its gain here): beside the targets
    ["zk top --by src: --threads 2 / one thread", "zk-src-threads", "zk-src", "(none)", () => true],
    ["zk top --by src,service: --threads 2 / one thread", "zk-service-threads", "zk-service", "(none)", () => true],
    ["argus / zk top --by src --threads 2", "argus", "zk-src-threads", "(none)", () => true],
    ["ndpiReader / zk top --by src,service --threads 2", "ndpi", "zk-service-threads", "(none)", () => true],
  ];
  const rssRows: string[][] = ["zk-src", "zk-src-stdin", "zk-src-pipe", service, "zk-src-threads", "zk-service-threads"].filter((id) => results.has(id)).map((id) => {
    const r = rss(id);
    // the target is the default run's (one thread)
    // (no paired value: a peak is no ratio)
    if (id.endsWith("-threads")) return [`peak RSS of ${results.get(id)!.cmd.label}`, `${mb(r)} MB`, "-", "(none)", ""];
    return [`peak RSS of ${results.get(id)!.cmd.label}`, `${mb(r)} MB`, "-", "<= 150 MB", Number.isFinite(r) ? (r <= 150e6 ? "ok" : "MISS") : "-"];
  });
  console.log("");
  const fixed = (x: number) => Number.isFinite(x) ? x.toFixed(2) : "-";
  console.log(table(["ratio", "of medians", "paired", "target", ""], [
    ...ratios.map(([name, a, b, target, ok]) => {
      const x = wall(a) / wall(b);
      return [name, fixed(x), fixed(paired(a, b)), target, !Number.isFinite(x) ? "n/a" : target === "(none)" ? "" : ok(x) ? "ok" : "MISS"];
    }),
    ...rssRows,
  ]));
  console.log("");
  console.log(`"of medians": the two commands' median wall times divided, as the targets are judged. "paired": ` +
    `the median, over the rounds, of the ratio of the two commands' runs in the same round, which a slow ` +
    `spell of the machine moves less.`);
  console.log("");
  console.log(`Node's start-up (node -e 0) is in every Node row, zk-stream's included` +
    (process.env.NODE_EXTRA_CA_CERTS ? ` (the zk-stream command's without NODE_EXTRA_CA_CERTS: see the note).` : `.`));
  console.log(`pcap-parser + Map counts packets per source IP, less work than zk-stream's connections per source ` +
    `(no flow table, no Zeek roles, timers or states): the ratio flatters it.`);
  console.log(`tshark -z endpoints counts packets and bytes per address (both directions), not connections.`);
  for (const n of notes) console.log(`Note: ${n}`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`bench:cli: ${(e as Error).stack}\n`); process.exitCode = 4; });
