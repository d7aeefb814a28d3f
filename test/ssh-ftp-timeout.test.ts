// Zeek raises a TCP connection's inactivity timeout to an hour when its SSH or FTP analyzer
// confirms (base/protocols/{ssh,ftp}): an SSH or FTP session idle for 5 to 60 minutes stays one
// connection. A run without protocol detection (`top` without a service key) still detects those
// two (assembly/detect/probe.ts), so it must count the connections a run with full detection
// counts. Real SSH and FTP captures get an idle gap of 20 minutes at several points, and lose
// their first packets (sessions seen without their handshake); so does a generated capture of
// mixed traffic.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EngineOptions } from "../src/engine.js";
import { CAPTURES, HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { runBuffer } from "../src/engine.js";
import { asRows, runTrace, withAndWithoutRecords } from "./helpers/conn.js";
import { pcapRecords } from "./helpers/packets.js";
import { generateCaptureBuffer } from "../bench/gen/index.js";

const GAP_S = 1200;
const KEYS: EngineOptions[] = [{ by: ["src"] }, { by: ["src", "dst", "dport"], metrics: ["conns"] }];

/** The capture without its first `drop` packets, and every packet from index `at` on `GAP_S` later. */
function withGap(pcap: Buffer, drop: number, at: number): Buffer {
  assert.is(pcap.readUInt32LE(0), 0xa1b2c3d4, "a little-endian microsecond pcap");
  const parts = [pcap.subarray(0, 24)];
  pcapRecords(pcap).forEach(({ offset, length }, i) => {
    if (i < drop) return;
    const rec = Buffer.from(pcap.subarray(offset, offset + length));
    if (i >= at) rec.writeUInt32LE(rec.readUInt32LE(0) + GAP_S, 0);
    parts.push(rec);
  });
  return Buffer.concat(parts);
}

/** Connections that only SSH's or FTP's confirmation keeps across the gap: no port rule gave them
 *  the hour (responder port 21, 22, 23 or 513 after a handshake), and they outlast the gap. */
function keptByConfirmation(pcap: Buffer): number {
  return asRows(runTrace(pcap).records).filter((r) => /\b(ssh|ftp)\b/.test(r.service) &&
    Number(r.duration) > GAP_S &&
    !([21, 22, 23, 513].includes(Number(r["id.resp_p"])) && r.history.startsWith("Sh"))).length;
}

function sameCounts(pcap: Buffer, name: string): void {
  for (const options of KEYS) {
    const { without, withRecords } = withAndWithoutRecords(pcap, options);
    assert.equal(without.top(1_000_000), withRecords.top(1_000_000), `${name} ${JSON.stringify(options)}`);
  }
}

/** Variants of a capture: the first 0, 3 or 10 packets dropped, the gap at each tenth. */
function checkVariants(pcap: Buffer, name: string): number {
  const n = pcapRecords(pcap).length;
  let kept = 0;
  for (const drop of [0, 3, 10]) {
    for (let tenth = 1; tenth < 10; tenth++) {
      const at = Math.floor((n * tenth) / 10);
      if (at <= drop) continue;
      const variant = withGap(pcap, drop, at);
      sameCounts(variant, `${name}, ${drop} dropped, gap before packet ${at}`);
      kept += keptByConfirmation(variant);
    }
  }
  return kept;
}

test("a generated capture idle 20 minutes (HTTP, TLS, SMTP, SSH, scans): the same counts without detection as with it", () => {
  // every TCP connection is probed, and SMTP's greeting starts like FTP's: detection starts there
  const pcap = Buffer.from(generateCaptureBuffer({ packets: 20_000, seed: 11 }).data);
  const n = pcapRecords(pcap).length;
  for (const at of [n / 4, n / 2, (3 * n) / 4]) sameCounts(withGap(pcap, 0, Math.floor(at)), `generated, gap before packet ${Math.floor(at)}`);
});

if (!HAVE_CAPTURES) {
  noteMissingCaptures("ssh-ftp-timeout.test.ts");
} else {
  test("SSH and FTP captures idle 20 minutes: the same counts without detection as with it", () => {
    let kept = 0;
    for (const file of [
      "zeek/ssh_basic/ssh.pcap", // SSH on 22, 2200 and 41644
      "zeek/ftp_ipv6_ftpdata/ipv6.pcap",
      "zeek/ftp_auth_tls/ftp-auth-tls.pcap",
      "zeek-protocols/zeek__ftp_ipv4.pcap",
      "zeek-protocols/zeek__var-services-std-ports.pcap",
    ]) {
      kept += checkVariants(readFileSync(join(CAPTURES, file)), file);
    }
    assert.ok(kept >= 10, `${kept} connections outlast the gap by their SSH or FTP confirmation only`);
  });

  test("detectProtocols: false shows no service, though SSH and FTP still set the timeout", () => {
    const pcap = readFileSync(join(CAPTURES, "zeek/ssh_basic/ssh.pcap"));
    const services = (detectProtocols: boolean) => runBuffer(pcap, { by: ["src", "service"], detectProtocols }).engine.top(100);
    assert.ok(services(true).length > 0, "SSH confirmed with detection");
    assert.equal(services(false), []);
  });
}

test.run();
