// Deterministic, seeded capture generator for the benchmarks.
//
//   node --import tsx bench/gen.ts --packets 2000000 --seed 1 --out /tmp/bench.pcap \
//        [--format pcap|pcapng] [--profile mixed|cache|million|synflood] [--rate PPS]
//        [--concurrency N] [--tsresol us|ns] [--link ethernet|sll2|vxlan|erspan|gtp] [--start UNIX_SECONDS] [--quiet]
// (from the repository root: tsx is found from the working directory). --packets takes 2e6, 2M.
// About 4 s of CPU for the default 2M packets / 746 MB (~190 MB/s); statistics go to stderr.
//
// Writes Ethernet frames (LINKTYPE 1; with --link sll2 Linux cooked capture v2, LINKTYPE 276, as
// `tcpdump -i any` writes; with --link vxlan each frame inside VXLAN from one mirror source, as
// cloud traffic mirroring delivers it; with --link erspan inside GRE with ERSPAN type II, as a
// switch's remote SPAN session delivers it; with --link gtp each IP packet inside GTP-U, as a
// mobile network's user traffic is captured between a base station and its core) as classic pcap (little-endian, microseconds unless
// --tsresol ns) or pcapng (SHB + IDB + EPBs; if_tsresol 9 with --tsresol ns), streaming through
// one reusable buffer: memory stays constant whatever --packets is. `--out -` writes to stdout.
// Same seed and options give byte-identical output (xoshiro128** seeded from --seed; no
// Math.random, no wall clock). Every IPv4 header, TCP, UDP, ICMP and ICMPv6 checksum is valid.
//
// Traffic: a pool of concurrent sessions, one picked at random per step, so connections
// interleave. TCP sessions have real handshakes (MSS/SACK/timestamps/wscale), data both ways with
// exact sequence numbers, an ACK every one or two segments, and end with FIN/ACK or RST. What they
// carry: HTTP/1.1 requests and responses (port 80, some on 8080, 8000, 3128, 1234, high ports),
// TLS 1.3 ClientHello (SNI, ALPN, key share) / ServerHello and application-data records (443),
// SSH banners, KEXINIT, ECDH and NEWKEYS then encrypted packets (22), an SMTP dialogue with one
// message (25). UDP: DNS queries and answers (A/AAAA, CNAMEs, NXDOMAIN, EDNS0), answered with the
// address later connected to. ICMP/ICMPv6 echo series. SYN port scans (RST from closed ports,
// SYN-ACK + scanner RST from open ones, silence from filtered hosts). Client (source) and server
// popularity are Zipf-distributed; ~20% of sessions use IPv6. Full segments carry 1448 bytes
// (IPv4) or 1428 (IPv6): 1514-byte frames.
//
// Profiles (defaults; --rate and --concurrency override). Figures are for --seed 1, 2,000,000
// packets; "connections" is roughly what Zeek would count (each scan probe is one).
//   mixed     the default. 20,000 concurrent sessions, 100,000 packets/s (20 s of capture time),
//             60,000 clients, 30,000 servers: ~746 MB, ~244,000 connections (DNS 47%, scan probes
//             22%, TLS 19%, HTTP 10%, ICMP, SMTP, SSH), 19% of packets IPv6; TCP packets: 58%
//             without payload, 7% with 40-100 bytes, 17% full-size. Large downloads are still
//             running when the capture ends, as in real life.
//   cache     2,000 concurrent long keep-alive HTTP/TLS (and SSH, SMTP, DNS, ping) sessions between
//             200 clients and 100 servers, 50,000 packets/s, no scans: ~21,000 connections in
//             40 s (~500 new per second), so connection and counter tables stay small enough to be
//             cache-resident. Bulkier: ~1.3 GB.
//   million   1,000,000 concurrent sessions at 2,000,000 packets/s (1M clients, 200k servers):
//             the first million packets open a million connections that then stay open together
//             (~1.13M connections, 227 MB). A session advances about once per million packets,
//             so use 10M+ packets to see sessions complete.
//   synflood  every packet a SYN (bare or MSS-only, random window/TTL/port) from a new spoofed
//             IPv4 source in 16.0.0.0/4 (distinct for 2^28 packets) to four victims on 80/443,
//             1,000,000 packets/s. --packets 5M gives 5 million sources.
//
// Checking an output with tcpdump and tshark (checksums, TCP sequence analysis, protocols):
//   bench/gen/verify.sh FILE [MAX_PACKETS]
//
// Library use (tests and benchmarks in-process):
//   import { generateCapture, generateCaptureBuffer, writeCaptureFile } from "./gen.js";
//   for (const chunk of generateCapture({ packets: 1e5, seed: 7, format: "pcapng" })) ...
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { PROFILES, generateCapture, writeCaptureFile, type GenOptions, type GenResult, type ProfileName } from "./gen/index.js";

export * from "./gen/index.js";

const USAGE = `usage: node --import tsx bench/gen.ts --out FILE|- [--packets N] [--seed N]
       [--format pcap|pcapng] [--profile ${PROFILES.join("|")}] [--rate PPS]
       [--concurrency N] [--tsresol us|ns] [--link ethernet|sll2|vxlan|erspan|gtp] [--start UNIX_SECONDS] [--quiet]`;

/** "2000000", "2e6", "2M", "2_000_000", "500k" */
function count(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)([kKmMgG]?)$/.exec(v.trim());
  if (!m) throw new Error(`--${name}: not a number: ${v}`);
  const mult = { "": 1, k: 1e3, m: 1e6, g: 1e9 }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
  const n = Number(m[1].replace(/_/g, "")) * mult;
  if (!Number.isFinite(n)) throw new Error(`--${name}: not a number: ${v}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        packets: { type: "string" }, seed: { type: "string" }, out: { type: "string", short: "o" },
        format: { type: "string" }, profile: { type: "string" }, rate: { type: "string" },
        concurrency: { type: "string" }, tsresol: { type: "string" }, link: { type: "string" }, start: { type: "string" },
        quiet: { type: "boolean", short: "q" }, help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`gen: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (a.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!a.out) {
    process.stderr.write(`gen: --out is required\n${USAGE}\n`);
    return 2;
  }
  let opts: GenOptions;
  try {
    opts = {
      packets: count("packets", a.packets) ?? 2_000_000,
      seed: a.seed === undefined ? 1 : Number(a.seed),
      format: (a.format ?? "pcap") as GenOptions["format"],
      profile: (a.profile ?? "mixed") as ProfileName,
      rate: count("rate", a.rate),
      concurrency: count("concurrency", a.concurrency),
      tsresol: (a.tsresol ?? "us") as GenOptions["tsresol"],
      link: (a.link ?? "ethernet") as GenOptions["link"],
      start: a.start === undefined ? undefined : Number(a.start),
    };
  } catch (e) {
    process.stderr.write(`gen: ${(e as Error).message}\n`);
    return 2;
  }
  const t0 = performance.now();
  let r: GenResult;
  try {
    r = a.out === "-" ? await toStdout(opts) : writeCaptureFile(a.out, opts);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EPIPE") return 0; // `| head`: the reader is gone, that is fine
    process.stderr.write(`gen: ${err.message}\n`);
    return err.code ? 1 : 2;
  }
  const s = (performance.now() - t0) / 1000;
  if (!a.quiet) {
    const sess = Object.entries(r.sessions).map(([k, v]) => `${k} ${v}`).join(", ");
    process.stderr.write(
      `gen: ${r.profile}: ${r.packets} packets, ${(r.bytes / 1e6).toFixed(1)} MB, ~${r.connections} connections ` +
        `over ${r.duration.toFixed(2)} s of capture time (${((100 * r.v6Packets) / Math.max(1, r.packets)).toFixed(1)}% IPv6)\n` +
        `gen: sessions: ${sess}\n` +
        `gen: ${s.toFixed(2)} s, ${(r.packets / s / 1e6).toFixed(2)} Mpkt/s, ${(r.bytes / s / 1e6).toFixed(0)} MB/s\n`,
    );
  }
  return 0;
}

async function toStdout(opts: GenOptions): Promise<GenResult> {
  const out = process.stdout;
  let failed: Error | undefined;
  out.on("error", (e) => { failed = e; });
  const it = generateCapture({ ...opts, reuseBuffer: false });
  for (;;) {
    if (failed) throw failed;
    const n = it.next();
    if (n.done) {
      await new Promise<void>((res, rej) => out.write("", (e) => (e ? rej(e) : res())));
      return n.value;
    }
    if (!out.write(n.value)) {
      await new Promise<void>((res) => {
        const done = (): void => { out.off("drain", done); out.off("error", done); out.off("close", done); res(); };
        out.on("drain", done); out.on("error", done); out.on("close", done);
      });
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
