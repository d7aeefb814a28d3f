// The command line as users run it: formats, exit codes, stdin, the real tcpdump pipe.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { zk, sh, haveTool, type CliRun } from "./helpers/cli.js";
import { REPO, CAPTURES, HAVE_CAPTURES, readZeekLog } from "./helpers/captures.js";

const SAMPLE = join(REPO, "examples/sample.pcap");
const SAMPLE_CONN_LOG = join(CAPTURES, "zeek/http_dns_wikipedia/conn.log");

test("--version and --help exit 0", () => {
  const v = zk(["--version"]);
  assert.is(v.code, 0);
  assert.match(v.stdout, /^zk-stream \d+\.\d+\.\d+/);
  const h = zk(["top", "--help"]);
  assert.is(h.code, 0);
  assert.match(h.stdout, /--by KEYS/);
});

test("no command: the help on stderr, exit 1", () => {
  const r = zk([]);
  assert.is(r.code, 1);
  assert.is(r.stdout, "");
  assert.match(r.stderr, /^Usage: zk-stream <command> \[options\]/);
});

test("usage errors exit 1 with a message", () => {
  for (const args of [["top", "--by", "nope", SAMPLE], ["top", "-n", "x", SAMPLE], ["top", "--format", "xml", SAMPLE], ["frobnicate"], ["top", "--bogus"]]) {
    const r = zk(args);
    assert.is(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /^zk-stream: /);
  }
});

test("an empty key field is a usage error, not an empty table (--by \"$KEYS\" with KEYS unset)", () => {
  for (const by of ["", ",", "src,,dst", "src,"]) {
    for (const command of ["top", "events"]) {
      const r = zk([command, SAMPLE, "--by", by]);
      assert.is(r.code, 1, `${command} --by "${by}": ${r.stderr}`);
      assert.is(r.stdout, "", `${command} --by "${by}"`);
      assert.match(r.stderr, /^zk-stream: --by: an empty key field/);
    }
  }
});

test("stdout that cannot be written (a full disk): exit 5 with one line naming the cause, for every command", () => {
  for (const command of ["top", "conn", "events"]) {
    const r = sh(`$ZK ${command} '${SAMPLE}' > /dev/full`);
    assert.is(r.code, 5, `${command}: ${r.stderr}`);
    assert.is(r.stderr, "zk-stream: cannot write the output: ENOSPC: no space left on device, write\n", command);
  }
});

test("stdin on a terminal is refused with a hint, not waited on (a forgotten file name looks like a hang)", () => {
  assert.ok(haveTool("script"), "script(1) (bsdutils) runs the command on a terminal; .ci/run installs it");
  for (const command of ["top", "conn", "events"]) {
    // script(1) gives the command a terminal for stdin; its own stdin is empty, so nothing is typed
    const r = sh(`script -qec "$ZK ${command}" /dev/null < /dev/null`);
    assert.is(r.code, 1, `${command}: ${r.stdout}`);
    // the message alone (no conn.log header before it): script(1) ends the terminal's lines with \r\n
    assert.match(r.stdout, new RegExp(`^zk-stream: stdin is a terminal, not a capture: name a capture file, or pipe one in \\(tcpdump -U -w - \\| zk-stream ${command}\\)\r?\n$`));
  }
  // a named file on a terminal is read as always
  const named = sh(`script -qec "$ZK top '${SAMPLE}' --no-progress -n 1" /dev/null < /dev/null`);
  assert.is(named.code, 0, named.stdout);
  assert.match(named.stdout, /141\.142\.220\.118 +23/);
});

test("unreadable input exits 2 and names the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-"));
  const missing = zk(["top", join(dir, "missing.pcap")]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /missing\.pcap: cannot read: no such file \(ENOENT\)\n/);
  const isDir = zk(["top", dir]);
  assert.is(isDir.code, 2);
  assert.match(isDir.stderr, /directory/);
  // any refusal of the file system is exit 2 with the other files' rows (these were exit 4, no rows)
  symlinkSync(join(dir, "loop-b"), join(dir, "loop-a"));
  symlinkSync(join(dir, "loop-a"), join(dir, "loop-b"));
  for (const [path, words] of [[join(SAMPLE, "x.pcap"), "not a directory (ENOTDIR)"], [join(dir, "loop-a"), "too many symbolic links encountered (ELOOP)"]]) {
    const r = zk(["top", "-n", "1", SAMPLE, path]);
    assert.is(r.code, 2, r.stderr);
    assert.is(r.stderr, `zk-stream: ${path}: cannot read: ${words}\n`);
    assert.match(r.stdout, /141\.142\.220\.118 +23/);
  }
  const empty = zk(["top"], Buffer.alloc(0));
  assert.is(empty.code, 2);
  assert.match(empty.stderr, /stdin: .*empty input/);
  const text = join(dir, "notes.txt");
  writeFileSync(text, "this is not a capture\n");
  const notCapture = zk(["top", text]);
  assert.is(notCapture.code, 2);
  assert.match(notCapture.stderr, /notes\.txt: byte 0: capture header: not a pcap or pcapng capture/);
});

test("a compressed, archived or converted capture, or a Zeek log, is named, with a command that reads it", () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-other-"));
  try {
    const file = join(dir, "capture");
    const plain = zk(["top", "--no-progress", SAMPLE]);
    assert.is(plain.code, 0);
    // made by the real tools (.ci/run installs them); each hint's command is run as printed
    const cases: [string, string][] = [
      ["zstd data", `zstd -q -c {sample} > {file}`],
      ["xz data", `xz -c {sample} > {file}`],
      ["bzip2 data", `bzip2 -c {sample} > {file}`],
      ["lz4 data", `lz4 -q -c {sample} > {file}`],
      ["a zip archive", `zip -q -j {file}.zip {sample} && mv {file}.zip {file}`],
      ["a Solaris snoop capture", `editcap -F snoop {sample} {file}`],
    ];
    for (const [what, make] of cases) {
      rmSync(file, { force: true });
      const made = sh(make.replaceAll("{sample}", `'${SAMPLE}'`).replaceAll("{file}", `'${file}'`));
      assert.is(made.code, 0, `${what}: ${made.stderr}`);
      const r = zk(["top", "--no-progress", file]);
      assert.is(r.code, 2, `${what}: ${r.stderr}`);
      const hint = new RegExp(`^zk-stream: ${file}: byte 0: capture header: not a pcap or pcapng capture \\(magic 0x[0-9a-f]{8}\\): ${what}: [^(]*\\((.+)\\)\n$`).exec(r.stderr);
      assert.ok(hint, `${what}: ${r.stderr}`);
      const command = hint![1].replaceAll("FILE", `'${file}'`).replaceAll("NAME", "sample.pcap").replaceAll("zk-stream", "$ZK");
      const read = command.startsWith("editcap")
        ? sh(`cd '${dir}' && ${command} && $ZK top --no-progress out.pcap`)
        : sh(command.replace("top -", "top --no-progress -"));
      assert.equal([read.code, read.stdout], [0, plain.stdout], `${what}: ${command}: ${read.stderr}`);
    }
    writeFileSync(file, zk(["conn", SAMPLE]).stdout);
    const log = zk(["top", file]);
    assert.is(log.code, 2);
    assert.match(log.stderr, /: a Zeek log, not a capture \(zk-stream reads the packets Zeek read: zeek -r's file\)\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

if (HAVE_CAPTURES) {
  /** The diary's use case lines computed from Zeek's conn.log for the sample. */
  function expectedZeekLines(keyOf: (r: Record<string, string>) => string): string[] {
    const counts = new Map<string, number>();
    for (const r of readZeekLog(SAMPLE_CONN_LOG).rows) counts.set(keyOf(r), (counts.get(keyOf(r)) ?? 0) + 1);
    return [...counts].map(([k, n]) => `${n} ${k}`).sort();
  }

  test("--format zeek prints the diary's lines, equal to Zeek's conn.log counts", () => {
    const bySrc = zk(["top", "--by", "src", "-n", "0", "--format", "zeek", SAMPLE]);
    assert.is(bySrc.code, 0, bySrc.stderr);
    assert.equal(bySrc.stdout.trim().split("\n").sort(), expectedZeekLines((r) => r["id.orig_h"]));
    const byPort = zk(["top", "--by", "src,dport", "-n", "0", "--format", "zeek", SAMPLE]);
    assert.is(byPort.code, 0, byPort.stderr);
    assert.equal(byPort.stdout.trim().split("\n").sort(), expectedZeekLines((r) => `${r["id.orig_h"]} ${r["id.resp_p"]}/${r.proto}`));
  });
}

if (HAVE_CAPTURES) {
  test("use case 3: --by src,service --format zeek prints the diary's addr,tag,count lines, as Zeek's services", () => {
    const counts = new Map<string, number>();
    for (const r of readZeekLog(SAMPLE_CONN_LOG).rows) {
      if (r.service === "-") continue;
      for (const svc of r.service.split(",")) {
        const k = `${r["id.orig_h"]},Analyzer::ANALYZER_${svc.toUpperCase()}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    }
    const expected = [...counts].map(([k, n]) => `${k},${n}`).sort();
    assert.ok(expected.length > 0);
    const r = zk(["top", "--by", "src,service", "-n", "0", "--format", "zeek", SAMPLE]);
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n").sort(), expected);
    const json = JSON.parse(zk(["top", "--by", "service", "-n", "0", "--format", "json", SAMPLE]).stdout) as { service: string; count: number }[];
    const perService = new Map<string, number>();
    for (const [k, n] of counts) { const svc = k.split("_").pop()!.toLowerCase(); perService.set(svc, (perService.get(svc) ?? 0) + n); }
    assert.equal(json.map((x) => `${x.service} ${x.count}`).sort(), [...perService].map(([s, n]) => `${s} ${n}`).sort());
  });
}

test("rows are sorted by count descending, then by key", () => {
  const r = zk(["top", "--by", "dst,dport", "-n", "0", "--format", "json", SAMPLE]);
  assert.is(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { dst: string; dport: number; proto: string; count: number }[];
  assert.ok(rows.length > 3);
  const addrKey = (a: string) => a.includes(":") ? `6${a}` : `4${a.split(".").map((x) => x.padStart(3, "0")).join(".")}`;
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1], b = rows[i];
    assert.ok(a.count > b.count || (a.count === b.count && (addrKey(a.dst) < addrKey(b.dst) || (a.dst === b.dst && a.dport <= b.dport))), `row ${i} out of order`);
  }
});

if (HAVE_CAPTURES) {
  test("services whose counts tie are sorted by name, and -n cuts that order", () => {
    // Teredo.pcap: http and dns confirmed 3 times each (http's analyzer id is the smaller)
    const f = join(CAPTURES, "zeek/teredo/Teredo.pcap");
    const all = JSON.parse(zk(["top", "--by", "service", "-n", "0", "--format", "json", f]).stdout) as { service: string; count: number }[];
    assert.ok(all.length > 2);
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1], b = all[i];
      assert.ok(a.count > b.count || (a.count === b.count && a.service < b.service), `row ${i} out of order: ${JSON.stringify(all)}`);
    }
    const tied = all.filter((r) => r.count === all[0].count);
    assert.ok(tied.length > 1, `no tie at the top: ${JSON.stringify(all)}`);
    const first = JSON.parse(zk(["top", "--by", "service", "-n", "1", "--format", "json", f]).stdout);
    assert.equal(first, all.slice(0, 1));
  });
}

test("-n limits the rows; the same rows lead in every format", () => {
  const json = JSON.parse(zk(["top", "-n", "2", "--format", "json", SAMPLE]).stdout) as { src: string; count: number }[];
  assert.is(json.length, 2);
  const tsv = zk(["top", "-n", "2", "--format", "tsv", SAMPLE]).stdout.trim().split("\n");
  assert.equal(tsv[0], "src\tcount");
  assert.equal(tsv.slice(1), json.map((r) => `${r.src}\t${r.count}`));
  const csv = zk(["top", "-n", "2", "--format", "csv", SAMPLE]).stdout.trim().split("\n");
  assert.equal(csv, ["src,count", ...json.map((r) => `${r.src},${r.count}`)]);
  const table = zk(["top", "-n", "2", SAMPLE]).stdout.trim().split("\n");
  assert.is(table.length, 3);
  assert.match(table[0], /^src\s+count$/);
  assert.match(table[1], new RegExp(`^${json[0].src.replace(/\./g, "\\.")}\\s+${json[0].count}$`));
});

test("a capture with no packets prints [] in json and exits 0", () => {
  if (!HAVE_CAPTURES) return;
  const r = zk(["top", "--format", "json", join(CAPTURES, "formats/corrupt_empty-header-only_zeek.pcap")]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, "[]\n");
});

test("stdin gives the file's result", () => {
  const fromFile = zk(["top", "-n", "0", "--by", "src,dport", "--format", "json", SAMPLE]);
  const fromStdin = sh(`cat '${SAMPLE}' | $ZK top -n 0 --by src,dport --format json`);
  assert.is(fromStdin.code, 0, fromStdin.stderr);
  assert.is(fromStdin.stdout, fromFile.stdout);
  const dash = sh(`$ZK top -n 0 --by src,dport --format json - < '${SAMPLE}'`);
  assert.is(dash.stdout, fromFile.stdout);
});

test("stdin redirected from a file is read from where the shell left it, gzip included", () => {
  const fromFile = zk(["top", "-n", "0", "--by", "src,dport", "--format", "json", SAMPLE]);
  const dir = mkdtempSync(join(tmpdir(), "zk-stdin-"));
  try {
    // 24 bytes that are no capture, then the capture: a reader starting at 0 would fail
    const prefixed = join(dir, "prefixed.bin");
    writeFileSync(prefixed, Buffer.concat([Buffer.alloc(24, 0x55), readFileSync(SAMPLE)]));
    const skipped = sh(`{ dd bs=24 count=1 of=/dev/null 2>/dev/null; $ZK top -n 0 --by src,dport --format json; } < '${prefixed}'`);
    assert.is(skipped.code, 0, skipped.stderr);
    assert.is(skipped.stdout, fromFile.stdout);
    const gz = join(dir, "sample.pcap.gz");
    writeFileSync(gz, gzipSync(readFileSync(SAMPLE)));
    const gzipped = sh(`$ZK top -n 0 --by src,dport --format json < '${gz}'`);
    assert.is(gzipped.code, 0, gzipped.stderr);
    assert.is(gzipped.stdout, fromFile.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a refused capture header names its one cause: the link-type field, or the first pcapng section header's length, trailer or options", () => {
  const dir = mkdtempSync(join(tmpdir(), "zk-header-"));
  try {
    const ng = join(dir, "sample.pcapng");
    assert.is(sh(`editcap -F pcapng '${SAMPLE}' '${ng}'`).code, 0);
    const pcapng = readFileSync(ng);
    const shbLength = pcapng.readUInt32LE(4);
    const variant = (name: string, edit: (b: Buffer) => void) => {
      const b = Buffer.from(pcapng);
      edit(b);
      writeFileSync(join(dir, name), b);
      return join(dir, name);
    };
    // a big-endian pcap header whose link-type field has reserved bits set (0x00100001)
    writeFileSync(join(dir, "linktype.pcap"), Buffer.from("a1b2c3d40002000400000000000000000000ffff00100001", "hex"));
    const cases: [string, string][] = [
      [join(dir, "linktype.pcap"), "link-type field with reserved bits set (0x00100001)"],
      [variant("length.pcapng", (b) => b.writeUInt32LE(13, 4)), "first section header with an impossible block length 13"],
      [variant("trailer.pcapng", (b) => b.writeUInt32LE(shbLength + 4, shbLength - 4)),
        `first section header's trailing block length ${shbLength + 4} differs from the leading one`],
      // the first option's length reaches past the block (editcap writes options after the 24 fixed bytes)
      [variant("options.pcapng", (b) => b.writeUInt16LE(0xfff0, 26)), `first section header's options overrun the block (block length ${shbLength})`],
    ];
    for (const [file, reason] of cases) {
      const r = zk(["top", file]);
      assert.is(r.code, 2, `${file}: ${r.stderr}`);
      assert.is(r.stderr, `zk-stream: ${file}: byte 0: capture header: ${reason}\n`, file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("captures joined with cat: exit 3 at the second file's header, named as such with the fix; the first file's rows", () => {
  assert.ok(haveTool("editcap"), "editcap (Wireshark's, with tshark) makes the pcapng copy");
  const dir = mkdtempSync(join(tmpdir(), "zk-joined-"));
  try {
    const sample = readFileSync(SAMPLE);
    const ng = join(dir, "sample.pcapng");
    const conv = sh(`editcap -F pcapng '${SAMPLE}' '${ng}'`);
    assert.is(conv.code, 0, conv.stderr);
    const pcapng = readFileSync(ng);
    // a big-endian pcap header (magic a1b2c3d4 in network order, version 2.4, snaplen 65535,
    // Ethernet) and a record header (2020-09-13, an empty packet)
    const bigEndian = Buffer.from("a1b2c3d4000200040000000000000000" + "0000ffff00000001" + "5f5e1000000000000000000000000000", "hex");
    const alone = (first: string) => zk(["top", "--by", "src,dport", "-n", "0", "--format", "json", first]).stdout;
    const cases: [string, Buffer, Buffer, string, string][] = [
      ["pcap + pcap", sample, sample, SAMPLE, "pcap, magic 0xa1b2c3d4"],
      ["pcap + pcapng", sample, pcapng, SAMPLE, "pcapng, magic 0x0a0d0d0a"],
      ["pcapng + pcap", pcapng, sample, ng, "pcap, magic 0xa1b2c3d4"],
      ["pcap + big-endian pcap header", sample, bigEndian, SAMPLE, "pcap, magic 0xd4c3b2a1"],
    ];
    for (const [what, a, b, first, magic] of cases) {
      const joined = join(dir, "joined");
      writeFileSync(joined, Buffer.concat([a, b]));
      const r = zk(["top", "--by", "src,dport", "-n", "0", "--format", "json", joined]);
      assert.is(r.code, 3, `${what}: ${r.stderr}`);
      assert.is(r.stderr, `zk-stream: ${joined}: byte ${a.length}: capture header: another capture's file header (${magic}): ` +
        "files joined with cat? name each file (zk-stream top A B), or merge them by time (mergecap -w - A B | zk-stream top -)\n", what);
      assert.is(r.stdout, alone(first), `${what}: the first file's rows`);
    }
    // pcapng sections one after the other are one valid capture
    writeFileSync(join(dir, "sections.pcapng"), Buffer.concat([pcapng, pcapng]));
    assert.is(zk(["top", join(dir, "sections.pcapng")]).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

if (HAVE_CAPTURES) {
  test("a gzip-compressed capture is read whole (tshark's packet count)", () => {
    const f = join(CAPTURES, "formats/other_gzip-compressed_pcapng_scapy.pcapng.gz");
    const row = readFileSync(join(CAPTURES, "INDEX.tsv"), "utf8").split("\n").find((l) => l.startsWith("formats/other_gzip-compressed"))!;
    const packets = Number(row.split("\t")[8]);
    const r = zk(["top", "--stats", f]);
    assert.is(r.code, 0, r.stderr);
    assert.is(JSON.parse(r.stderr.trim().split("\n").pop()!).records_read, packets);
  });

  test("a capture cut mid-record: exit 3, the offset named, every complete packet counted", () => {
    const f = join(CAPTURES, "formats/DERIVED_cut-mid-record-data_ndpi-smtp.pcap");
    const r = zk(["top", "--by", "src,dport", "-n", "0", "--format", "json", "--stats", f]);
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, /DERIVED_cut-mid-record-data_ndpi-smtp\.pcap: byte \d+: pcap record: input ends inside a record/);
    const stats = JSON.parse(r.stderr.trim().split("\n").pop()!);
    assert.is(stats.records_read, 10); // INDEX.tsv: 10 complete records, the 11th cut
    if (haveTool("tcpdump")) {
      // tcpdump rewrites the packets it could read: the same counts must come out
      const reference = sh(`tcpdump -r '${f}' -w - 2>/dev/null | $ZK top --by src,dport -n 0 --format json`);
      assert.is(r.stdout, reference.stdout);
    }
  });

  test("several files: every file is read and the highest exit code wins", () => {
    const cut = join(CAPTURES, "formats/DERIVED_cut-mid-record-data_ndpi-smtp.pcap");
    const r = zk(["top", "--stats", cut, "/nonexistent.pcap", SAMPLE]);
    assert.is(r.code, 3);
    const stats = JSON.parse(r.stderr.trim().split("\n").pop()!);
    assert.is(stats.records_read, 10 + 136);
  });

  test("several files out of time order: the late packets are counted and warned about; oldest first, the counts of each alone", () => {
    const newer = join(CAPTURES, "formats/icmp_5-pings_zeek.pcap"); // 2020
    const older = join(CAPTURES, "formats/icmp6_ping_zeek.pcap");   // 2012
    const top = (...files: string[]) => zk(["top", "--by", "src,dport", "-n", "0", "--format", "zeek", "--stats", ...files]);
    const stats = (r: CliRun) => JSON.parse(r.stderr.trim().split("\n").pop()!);
    const rows = (r: CliRun) => r.stdout.trim().split("\n").sort();
    const alone = [top(newer), top(older)];
    const olderPackets = stats(alone[1]).records_read;
    assert.ok(olderPackets > 1);
    const backwards = top(newer, older);
    assert.is(backwards.code, 0, backwards.stderr);
    assert.is(stats(backwards).late_packets, olderPackets);
    assert.match(backwards.stderr, new RegExp(`warning: ${olderPackets} packets more than 5 s older than packets read before them`));
    const inOrder = top(older, newer);
    assert.is(stats(inOrder).late_packets, 0);
    assert.not.match(inOrder.stderr, /warning/);
    assert.equal(rows(inOrder), [...rows(alone[0]), ...rows(alone[1])].sort());
    if (haveTool("mergecap")) {
      // the warning's advice: merged by time, the files give the same counts in either order
      const merged = sh(`mergecap -w - '${newer}' '${older}' | $ZK top --by src,dport -n 0 --format zeek -`);
      assert.is(merged.code, 0, merged.stderr);
      assert.equal(rows(merged), rows(inOrder));
    }
  });
}

if (HAVE_CAPTURES && haveTool("tshark")) {
  test("bad TCP/UDP checksums are counted (as tshark finds them) and warned about, -C silences them", () => {
    const f = join(CAPTURES, "zeek/irc_starttls_linux_sll/irc-starttls.pcap");
    const bad = sh(`tshark -r '${f}' -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -Y 'tcp.checksum.status=="Bad" || udp.checksum.status=="Bad"' 2>/dev/null | wc -l`);
    const expected = Number(bad.stdout.trim());
    assert.ok(expected > 0);
    const r = zk(["top", "--stats", f]);
    assert.is(r.code, 0);
    assert.is(JSON.parse(r.stderr.trim().split("\n").pop()!).bad_transport_checksums, expected);
    assert.match(r.stderr, new RegExp(`${expected} packets with a bad TCP/UDP/ICMP checksum`));
    const withC = zk(["top", "-C", "--stats", f]);
    assert.not.match(withC.stderr, /bad TCP\/UDP\/ICMP checksum/);
  });
}

if (haveTool("tcpdump") && HAVE_CAPTURES) {
  test("the real tcpdump pipe: tcpdump -r F -w - | zk-stream top equals the file result", () => {
    for (const f of [SAMPLE, join(CAPTURES, "zeek/ssh_basic/ssh.pcap"), join(CAPTURES, "zeek/pcapng_multi_interface/pcapng-multi-interface.pcapng")]) {
      const fromFile = zk(["top", "-n", "0", "--by", "src,dport", "--format", "json", f]);
      const piped = sh(`tcpdump -r '${f}' -w - 2>/dev/null | $ZK top -n 0 --by src,dport --format json`);
      assert.is(piped.code, 0, piped.stderr);
      assert.is(piped.stdout, fromFile.stdout, f);
    }
  });
} else {
  console.log(`  SKIP tcpdump pipe test: ${HAVE_CAPTURES ? "tcpdump not installed (.ci/run installs it)" : "reference captures not found"}`);
}

test.run();
