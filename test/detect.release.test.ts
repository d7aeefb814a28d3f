// A run that shows only confirmations (top with connection counts: no conn records, no packets or
// bytes per service row) ends a TCP connection's protocol detection as soon as nothing
// it could still find would show (assembly/detect/registry.ts nothingToLearn): signature matching
// has stopped, every live analyzer has confirmed, and none of them can start another one. What
// the analyzers would still parse could only be a violation, which drops a service from conn.log
// but takes no confirmation back. So the counts must not depend on it: every capture of
// ../shared/captures, and a generated one, gives the same top rows with conn records written
// (detection to the end) and without (ended early).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { runBuffer, type EngineOptions, type Engine } from "../src/engine.js";
import { servicesOf, withAndWithoutRecords } from "./helpers/conn.js";
import { messagesInTurn, clientHello } from "./helpers/detect-pcap.js";
import { CAPTURES, HAVE_CAPTURES, capturesUnder, noteMissingCaptures } from "./helpers/captures.js";
import { generateCaptureBuffer } from "../bench/gen/index.js";

const COUNTS: EngineOptions = { by: ["src", "dport", "service"], metrics: ["conns"] };

/** The run without conn records (detection may end early), and the same run writing them. */
function bothWays(pcap: Uint8Array, options: EngineOptions = COUNTS): { early: Engine; full: Engine } {
  const { without, withRecords } = withAndWithoutRecords(pcap, options);
  return { early: without, full: withRecords };
}

/** A TLS handshake record of `n` bytes: a Certificate message the SSL analyzer only skips. */
function certificateRecord(n: number): Buffer {
  const body = n - 4;
  const hs = Buffer.concat([Buffer.from([11, 0, (body >> 8) & 0xff, body & 0xff]), Buffer.alloc(body)]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x03, (n >> 8) & 0xff, n & 0xff]), hs]);
}

test("SSL that violates after confirming: conn.log drops ssl, top counts its confirmation either way", () => {
  // the ClientHello confirms; the server's 1,100 bytes stop signature matching (dpd_buffer_size);
  // then the client sends a TLS 1.2 record of content type 48, none of TLS's: a violation below
  // 10 KiB
  const pcap = messagesInTurn(443, [
    [true, clientHello()],
    [false, certificateRecord(1100)],
    [true, Buffer.from([48, 3, 3, 0, 2, 0, 0])],
  ]);
  assert.equal(servicesOf(pcap), ["-"], "conn.log: the violation dropped ssl");
  const { early, full } = bothWays(pcap, { by: ["service"], metrics: ["conns"] });
  const rows = (e: Engine) => e.top(10).map((r) => `${r.service} ${r.conns}`);
  assert.equal(rows(early), ["ssl 1"]);
  assert.equal(rows(full), ["ssl 1"]);
  assert.is(early.releasedEarly(), 1, "without conn records, detection ended after the server's record");
  assert.is(full.releasedEarly(), 0, "with them, it ran to the violation");
  // packets per service row would see the violation too (the row stops counting): no early end
  assert.is(runBuffer(pcap, { by: ["service"] }).engine.releasedEarly(), 0, "metrics pkts and bytes");
});

test("SSL that violates past 10 KiB: the violation is ignored, so its row counts every packet, with conn records or without", () => {
  // While a connection's detection lives it needs the connection's size (DPD's
  // ignore_violations_after: 10 KiB), taken from the TCP sequence numbers: a run without conn
  // records must keep them for such a connection too (flow/table.ts `sequences`), or the
  // violation below would seem to come before 10 KiB and stop the ssl row's counting.
  const appData = (n: number) => Buffer.concat([Buffer.from([0x17, 0x03, 0x03, (n >> 8) & 0xff, n & 0xff]), Buffer.alloc(n, 1)]);
  const messages: [boolean, Buffer][] = [[true, clientHello()], [false, certificateRecord(1100)]];
  for (let i = 0; i < 12; i++) messages.push([false, appData(1000)]);
  messages.push([true, Buffer.from([48, 3, 3, 0, 2, 0, 0])]);
  const pcap = messagesInTurn(443, messages);
  assert.equal(servicesOf(pcap), ["ssl"], "conn.log: past 10 KiB the violation is ignored");
  const { early, full } = bothWays(pcap, { by: ["service"], metrics: ["pkts", "bytes"] });
  const rows = (e: Engine) => e.top(10, "pkts").map((r) => `${r.service} ${r.conns} ${r.pkts} ${r.bytes}`);
  assert.equal(rows(early), rows(full));
  // the row counts the whole connection: 3 handshake packets, 15 messages, the FIN exchange
  assert.ok(rows(full)[0].startsWith("ssl 1 "), rows(full)[0]);
  assert.is(full.top(1, "pkts")[0].pkts, 21);
});

test("SMTP, which may still hand over to SSL, keeps its detection past signature matching: STARTTLS after 1 KiB", () => {
  // the mail takes the stream past dpd_buffer_size before STARTTLS: signature matching has
  // stopped, SMTP has confirmed, both sides have sent data; SMTP can still start SSL, so the
  // connection's detection must go on (dispatch.ts STARTS_OTHERS)
  const text = (s: string) => Buffer.from(s, "latin1");
  const pcap = messagesInTurn(25, [
    [false, text("220 mx.example.com ESMTP\r\n")],
    [true, text("EHLO client.example.com\r\n")],
    [false, text("250-mx.example.com\r\n250 STARTTLS\r\n")],
    [true, text("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")],
    [false, text("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n")],
    [true, text(`Subject: report\r\n\r\n${"A line of the report, long enough to fill the buffer.\r\n".repeat(30)}.\r\n`)],
    [false, text("250 2.0.0 Ok: queued\r\n")],
    [true, text("STARTTLS\r\n")],
    [false, text("220 2.0.0 Ready to start TLS\r\n")],
    [true, clientHello()],
  ]);
  const { early, full } = bothWays(pcap, { by: ["service"], metrics: ["conns"] });
  const rows = (e: Engine) => e.top(10).map((r) => `${r.service} ${r.conns}`).sort();
  assert.equal(rows(full), ["smtp 1", "ssl 1"]);
  assert.equal(rows(early), ["smtp 1", "ssl 1"]);
  assert.is(early.releasedEarly(), 1, "released once SSL, which starts no other, had confirmed");
});

test("a generated capture: the same rows with detection ended early and run to the end", () => {
  // (the first 30,000 packets are mostly sessions starting: 2 of them end early there)
  const { data } = generateCaptureBuffer({ packets: 60_000, seed: 11 });
  const { early, full } = bothWays(data);
  assert.equal(early.top(1_000_000), full.top(1_000_000));
  assert.ok(early.releasedEarly() > 100, `${early.releasedEarly()} connections ended early`);
  assert.is(full.releasedEarly(), 0);
  for (const e of [early, full]) assert.is(e.poolRecordsInUse(), 0, "records still handed out");
});

if (!HAVE_CAPTURES) {
  noteMissingCaptures("detect.release.test.ts");
} else {
  test("every capture: the same rows with detection ended early and run to the end", () => {
    const files = capturesUnder(CAPTURES);
    assert.ok(files.length > 200, `${files.length} captures under ${CAPTURES}`);
    let released = 0;
    for (const file of files) {
      const pcap = readFileSync(file);
      const { early, full } = bothWays(pcap);
      const name = relative(CAPTURES, file);
      assert.equal(early.top(1_000_000), full.top(1_000_000), name);
      assert.is(full.releasedEarly(), 0, name);
      released += early.releasedEarly();
      // every detection state, instance, PIA block, aux buffer and holes block is back in its pool
      for (const e of [early, full]) assert.is(e.poolRecordsInUse(), 0, `${name}: records still handed out`);
      // packets and bytes per row too: no early end, but a connection whose detection has ended
      // keeps no sequence numbers without conn records (flow/tcp.ts establishedSegment)
      const traffic = bothWays(pcap, { by: ["src", "dport", "service"] });
      assert.equal(traffic.early.top(1_000_000), traffic.full.top(1_000_000), `${name}, packets and bytes`);
      for (const e of [traffic.early, traffic.full]) assert.is(e.poolRecordsInUse(), 0, `${name}, packets and bytes: records still handed out`);
    }
    assert.ok(released >= 10, `${released} connections ended early (16 when this was written)`);
  });
}

test.run();
