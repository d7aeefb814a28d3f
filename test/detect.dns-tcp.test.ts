// DNS over TCP as Zeek's Contents_DNS frames it: a 2-byte length, then the message, gathered across
// segments however they split it; at a FIN or RST from either side (DNS_Analyzer::ConnectionClosed)
// each direction's partial message is parsed as it stands (Contents_DNS::Flush). The analyzer
// confirms once a message's questions and answers parse (DNS_Interpreter::ParseMessage).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { session, FIN, RST } from "./helpers/detect-pcap.js";

/** A standard query for `name` (A, IN), with an EDNS OPT record when `edns`: its bytes. */
function query(name: string, edns = true): Buffer {
  const labels = Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0]);
  const question = Buffer.concat([labels, Buffer.from([0, 1, 0, 1])]);
  const opt = edns ? Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]) : Buffer.alloc(0);
  return Buffer.concat([header, question, opt]);
}

/** The message with its 2-byte length in front, as DNS over TCP sends it. */
function framed(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}

/** A message whose one answer claims more rdata than the message holds: Zeek's ParseAnswer fails
 *  (DNS_truncated_RR_rdlength_lt_len), so it neither confirms nor violates. `size` bytes. */
function unparsableResponse(size: number): Buffer {
  const m = Buffer.alloc(size);
  Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 0, 0, 1, 0, 0, 0, 0]).copy(m); // a query (no flip of the roles) with one answer
  Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 60, 0xff, 0xff]).copy(m, 12); // root, A, IN, ttl, rdlength 65535
  return m;
}

/** Client stream `bytes` sent to port 53 in the segments that `cuts` (offsets) make, then both
 *  FINs: the connection's services. */
function clientSends(bytes: Buffer, cuts: number[]): string[] {
  const c = session(53);
  const ends = [...cuts.filter((k) => k > 0 && k < bytes.length), bytes.length];
  let from = 0;
  for (const to of ends) {
    c.client(from, 0, bytes.subarray(from, to));
    from = to;
  }
  c.client(bytes.length, 0, "", FIN);
  c.server(0, bytes.length + 1, "", FIN);
  c.client(bytes.length + 1, 1, "", 0);
  return c.services();
}

const NAMES = ["a.io", "www.example.com", "a-rather-long-host-name-for-this-test.subdomain.example.org"];

test("a query split across segments at any byte confirms dns, whatever its length", () => {
  for (const name of NAMES) {
    for (const padTo of [0, 300, 3000]) {
      let message = query(name);
      // the additional records Zeek skips (dns_skip_all_addl): EDNS padding makes a longer query
      if (padTo > message.length) {
        const pad = padTo - message.length - 4;
        const opt = Buffer.alloc(4 + pad);
        opt.writeUInt16BE(12, 0); // EDNS option 12, padding
        opt.writeUInt16BE(pad, 2);
        message = Buffer.concat([message.subarray(0, message.length - 2), Buffer.from([opt.length >> 8, opt.length & 255]), opt]);
      }
      const stream = framed(message);
      const step = stream.length > 400 ? 97 : 1;
      for (let cut = 1; cut < stream.length; cut += step) {
        assert.equal(clientSends(stream, [cut]), ["dns"], `${name}, ${message.length} bytes, cut at ${cut}`);
      }
      // the length alone, then the message in three pieces
      assert.equal(clientSends(stream, [2, 2 + (message.length >> 2), 2 + (message.length >> 1)]), ["dns"], `${name}, ${message.length} bytes in pieces`);
    }
  }
});

test("the messages after one too long to be held (over 4 KiB, split) are still framed and parsed", () => {
  const big = framed(unparsableResponse(5000));
  const small = framed(query("www.example.com"));
  // the unparsable message alone: nothing, whole or split
  assert.equal(clientSends(big, []), ["-"]);
  assert.equal(clientSends(big, [1000, 3000]), ["-"]);
  // followed by a query: confirmed, whole or split
  const both = Buffer.concat([big, small]);
  assert.equal(clientSends(both, []), ["dns"]);
  assert.equal(clientSends(both, [1000, 3000, 5002 + 5]), ["dns"]);
  // an unparsable message that fits the buffer, split, then a query: confirmed too
  const held = framed(unparsableResponse(2000));
  assert.equal(clientSends(Buffer.concat([held, small]), [500, 2002 + 3]), ["dns"]);
  assert.equal(clientSends(held, [500]), ["-"]);
});

/** A client that sends the first `sent` bytes of a framed query, then (after the server's FIN, or
 *  its own FIN or RST) nothing more: the connection's services. */
function cutShort(message: Buffer, sent: number, end: "client FIN" | "server FIN" | "client RST"): string[] {
  const stream = framed(message).subarray(0, sent);
  const c = session(53);
  c.client(0, 0, stream.subarray(0, 2));
  if (sent > 2) c.client(2, 0, stream.subarray(2));
  if (end === "client FIN") {
    c.client(sent, 0, "", FIN);
    c.server(0, sent + 1, "", FIN);
  } else if (end === "server FIN") {
    c.server(0, sent, "", FIN);
  } else {
    c.client(sent, 0, "", RST);
  }
  return c.services();
}

test("at a FIN or RST, a partial message is parsed as it stands (Contents_DNS::Flush)", () => {
  const message = query("www.example.com"); // 44 bytes: header, question, OPT record
  const withQuestion = 12 + 17 + 4; // through the question: what Zeek's ParseMessage needs
  for (const end of ["client FIN", "server FIN", "client RST"] as const) {
    // the question whole, the OPT record cut: the partial message confirms
    for (let sent = 2 + withQuestion; sent < 2 + message.length; sent++) {
      assert.equal(cutShort(message, sent, end), ["dns"], `${end}, ${sent} of ${2 + message.length} bytes`);
    }
    // the question cut: nothing to confirm
    for (let sent = 3; sent < 2 + withQuestion; sent++) {
      assert.equal(cutShort(message, sent, end), ["-"], `${end}, ${sent} of ${2 + message.length} bytes`);
    }
  }
  // the same for a query over the 46 bytes kept in the analyzer's state (aux buffer)
  const long = query("a-rather-long-host-name-for-this-test.subdomain.example.org");
  assert.equal(cutShort(long, 2 + long.length - 5, "client FIN"), ["dns"]);
  assert.equal(cutShort(long, 2 + 20, "client FIN"), ["-"]);
});

test.run();
