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
function unparsable(size: number): Buffer {
  const m = Buffer.alloc(size);
  Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 0, 0, 1, 0, 0, 0, 0]).copy(m); // a query (no flip of the roles) with one answer
  Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 60, 0xff, 0xff]).copy(m, 12); // root, A, IN, ttl, rdlength 65535
  return m;
}

/** A message of exactly `size` bytes that parses only whole: a question for a.io and an answer
 *  (NULL record) whose rdata fills the rest, so any cut answer claims more than is left. A query
 *  from the client, a response from the server (no flip of the roles either way). */
function wholeOnly(size: number, fromClient: boolean): Buffer {
  const head = Buffer.concat([Buffer.from([0x12, 0x34, fromClient ? 0x01 : 0x81, 0, 0, 1, 0, 1, 0, 0, 0, 0]),
    Buffer.from([1, 0x61, 2, 0x69, 0x6f, 0]), Buffer.from([0, 1, 0, 1])]);
  const rdata = size - head.length - 12;
  const answer = Buffer.alloc(12 + rdata);
  answer.writeUInt16BE(0xc00c, 0); // the question's name
  answer.writeUInt16BE(10, 2);     // NULL
  answer.writeUInt16BE(1, 4);
  answer.writeUInt32BE(60, 6);
  answer.writeUInt16BE(rdata, 10);
  return Buffer.concat([head, answer]);
}

/** `bytes` sent by one side to port 53 in the segments that `cuts` (offsets) make, then both FINs
 *  unless `fin` is false: the connection's services. */
function sends(fromClient: boolean, bytes: Buffer, cuts: number[], fin = true): string[] {
  const c = session(53);
  const send = fromClient ? c.client : c.server;
  const ends = [...cuts.filter((k) => k > 0 && k < bytes.length), bytes.length];
  let from = 0;
  for (const to of ends) {
    send(from, 0, bytes.subarray(from, to));
    from = to;
  }
  if (fin) {
    if (fromClient) {
      c.client(bytes.length, 0, "", FIN);
      c.server(0, bytes.length + 1, "", FIN);
    } else {
      c.server(bytes.length, 0, "", FIN);
      c.client(0, bytes.length + 1, "", FIN);
    }
  }
  return c.services();
}
const clientSends = (bytes: Buffer, cuts: number[]) => sends(true, bytes, cuts);

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

test("a message that parses only whole is gathered across segments, from either side, without a close", () => {
  // 46 and 47: the state's buffer and the aux buffer; 4096: the aux buffer's half, full
  for (const size of [40, 46, 47, 300, 4095, 4096]) {
    for (const fromClient of [true, false]) {
      const stream = framed(wholeOnly(size, fromClient));
      const step = stream.length > 400 ? 61 : 1;
      for (let cut = 1; cut < stream.length; cut += step) {
        assert.equal(sends(fromClient, stream, [cut], false), ["dns"], `${size} bytes from the ${fromClient ? "client" : "server"}, cut at ${cut}`);
      }
      // a byte at a time at both ends
      assert.equal(sends(fromClient, stream, [1, 2, 3, stream.length - 2, stream.length - 1], false), ["dns"], `${size} bytes in small pieces`);
      // and cut short by one byte: nothing
      assert.equal(sends(fromClient, stream.subarray(0, stream.length - 1), [2], false), ["-"], `${size} bytes less one`);
    }
  }
  // both directions' halves of the aux buffer at once, and a zero-length message first
  const c = session(53);
  const q = Buffer.concat([framed(Buffer.alloc(0)), framed(wholeOnly(3000, true))]);
  const r = framed(wholeOnly(3000, false));
  c.client(0, 0, q.subarray(0, 1000));
  c.server(0, 1000, r.subarray(0, 1500));
  c.client(1000, 1500, q.subarray(1000));
  c.server(1500, q.length, r.subarray(1500));
  assert.equal(c.services(), ["dns"]);
  // a message longer than the aux buffer's half, whole in one segment: parsed
  assert.equal(sends(true, framed(wholeOnly(5000, true)), [], false), ["dns"]);
});
test("the messages after one too long to be held (over 4 KiB, split) are still framed and parsed", () => {
  const big = framed(unparsable(5000));
  const small = framed(query("www.example.com"));
  // the unparsable message alone: nothing, whole or split
  assert.equal(clientSends(big, []), ["-"]);
  assert.equal(clientSends(big, [1000, 3000]), ["-"]);
  // followed by a query: confirmed, whole or split
  const both = Buffer.concat([big, small]);
  assert.equal(clientSends(both, []), ["dns"]);
  assert.equal(clientSends(both, [1000, 3000, 5002 + 5]), ["dns"]);
  // an unparsable message that fits the buffer, split, then a query: confirmed too
  const held = framed(unparsable(2000));
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

test("a partial message is parsed at a close whatever its length, up to 4 KiB of it: a long response cut short", () => {
  // question and answer in the first 40 bytes of a 5,000-byte response, then a FIN
  const response = Buffer.concat([wholeOnly(40, false), Buffer.alloc(4960)]);
  response.writeUInt16BE(1, 10); // one additional record, never reached
  for (const sent of [100, 1000, 2500, 4098]) {
    const c = session(53);
    c.server(0, 0, framed(response).subarray(0, sent));
    c.server(sent, 0, "", FIN);
    assert.equal(c.services(), ["dns"], `${sent} bytes`);
  }
});

// Zeek closes a side (ConnectionClosed, do_close in UpdateStateMachine) at its first FIN or RST
// only: not at a FIN or RST after its RST (state RESET), nor at a FIN or RST after its FIN (CLOSED,
// did_close). A close between the two segments of a response flushes its first part and frames
// the rest as a new message: then no dns. The client's query here neither confirms nor violates.
test("only a side's first FIN or RST closes it: later ones flush nothing", () => {
  const q = framed(unparsable(30)); // 32 bytes
  const r = framed(wholeOnly(51, false));
  /** The response in two segments, `between` sending the client's packets in between. */
  const run = (between: (c: ReturnType<typeof session>) => void, before?: (c: ReturnType<typeof session>) => void) => {
    const c = session(53);
    c.client(0, 0, q);
    before?.(c);
    c.server(0, 33, r.subarray(0, 20));
    between(c);
    c.server(20, 33, r.subarray(20));
    return c.services();
  };
  // the first close between the segments: the first part is flushed
  assert.equal(run((c) => c.client(32, 20, "", FIN)), ["-"], "client FIN between");
  assert.equal(run((c) => c.client(32, 20, "", RST)), ["-"], "client RST between");
  // closed before: the later packets close nothing
  const finFirst = (c: ReturnType<typeof session>) => c.client(32, 0, "", FIN);
  const rstFirst = (c: ReturnType<typeof session>) => c.client(32, 0, "", RST);
  assert.equal(run((c) => c.client(33, 20, "", FIN), finFirst), ["dns"], "FIN again");
  assert.equal(run((c) => c.client(33, 20, "", RST), finFirst), ["dns"], "RST after FIN");
  assert.equal(run((c) => c.client(32, 20, "", FIN), rstFirst), ["dns"], "FIN after RST");
  assert.equal(run((c) => c.client(32, 20, "", RST), rstFirst), ["dns"], "RST again");
  // no close at all
  assert.equal(run(() => {}), ["dns"], "nothing between");
});

test("a side whose first packet is a RST or FIN closes (a partial connection), and a close deferred by a hole closes again at the stream's end", () => {
  // a partial connection: the client's query framed with a length 10 bytes longer than it is;
  // the server's first packet, a RST or a FIN, closes: the query is parsed as it stands
  const m = query("a.io", false);
  const longer = Buffer.concat([Buffer.from([0, m.length + 10]), m]);
  for (const flags of [RST, FIN]) {
    const c = session(53, true);
    c.client(0, 0, longer);
    c.server(0, longer.length, "", flags);
    assert.equal(c.services(), ["dns"], flags === RST ? "RST" : "FIN");
  }
  // the client's FIN arrives above a hole: the close flushes the first 20 bytes (a question cut
  // short: nothing) and is deferred; the hole's bytes are then framed as a new message, length 64
  // and a query, which the deferred close at the stream's end flushes: dns
  const stream = Buffer.alloc(51);
  stream.writeUInt16BE(49, 0);
  Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]).copy(stream, 2);
  stream[14] = 40; // a 40-byte label: cut at the first flush
  stream.writeUInt16BE(64, 20);
  m.copy(stream, 22);
  const c = session(53);
  c.client(0, 0, stream.subarray(0, 20));
  c.client(51, 0, "", FIN);
  c.client(20, 0, stream.subarray(20));
  assert.equal(c.services(), ["dns"], "deferred close");
  // without the hole the same bytes make one 49-byte message whose question is cut: nothing
  const d = session(53);
  d.client(0, 0, stream);
  d.client(51, 0, "", FIN);
  assert.equal(d.services(), ["-"], "no hole");
});

test.run();
