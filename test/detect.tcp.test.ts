// Detection on TCP payload as Zeek's reassembler delivers it: segments that arrive before a
// missing one are held until the hole fills, retransmissions and overlaps are trimmed, a hole the
// peer acknowledges is a content gap. Captures are built here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { servicesOf as services } from "./helpers/conn.js";
import { PcapBuilder, FIN, SYN, RST, PSH, ACK, messagesInTurn, CLIENT_IP, SERVER_IP, clientHello, session } from "./helpers/detect-pcap.js";
import { pcapRecords } from "./helpers/packets.js";

const CLIENT = CLIENT_IP, SERVER = SERVER_IP;

/** A connection to port `dport`: handshake, the segments given as [from client?, offset, bytes],
 *  then both FINs. */
function conversation(dport: number, segments: [boolean, number, Buffer][]): Buffer {
  const c = session(dport);
  let cEnd = 0, sEnd = 0;
  for (const [fromClient, off, data] of segments) {
    if (fromClient) {
      c.client(off, sEnd, data);
      cEnd = Math.max(cEnd, off + data.length);
    } else {
      // the server acknowledges only what the client sent in order so far: the segments' max end
      // would acknowledge a hole
      c.server(off, 0, data);
      sEnd = Math.max(sEnd, off + data.length);
    }
  }
  c.client(cEnd, sEnd, "", FIN);
  c.server(sEnd, cEnd + 1, "", FIN);
  c.client(cEnd + 1, sEnd + 1, "", 0);
  return c.pcap();
}

const request = Buffer.from("GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\n\r\n");
const reply = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");

/** An FTP session after its handshake and the server's greeting ("220 ready\r\n", 11 bytes), then
 *  `steps`: its services. */
function greeted(steps: (c: ReturnType<typeof session>) => void): string[] {
  const c = session(21);
  c.server(0, 0, "220 ready\r\n");
  steps(c);
  return c.services();
}

// SSH's identification line, and a NEWKEYS packet (SSH confirms at NEWKEYS)
const sshBanner = Buffer.from("SSH-2.0-OpenSSH_9.6\r\n");
const sshNewkeys = Buffer.from([0, 0, 0, 12, 10, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

test("in order: an HTTP request split in two confirms http", () => {
  const a = request.subarray(0, 10), b = request.subarray(10);
  assert.equal(services(conversation(80, [[true, 0, a], [true, 10, b], [false, 0, reply]])), ["http"]);
});

test("a segment before the missing one is held until the hole fills: http", () => {
  const a = request.subarray(0, 10), b = request.subarray(10);
  assert.equal(services(conversation(80, [[true, 10, b], [true, 0, a], [false, 0, reply]])), ["http"]);
});

test("three segments of a ClientHello in the order 3, 1, 2: ssl", () => {
  const ch = clientHello();
  const s1 = ch.subarray(0, 20), s2 = ch.subarray(20, 50), s3 = ch.subarray(50);
  assert.equal(services(conversation(443, [[true, 50, s3], [true, 0, s1], [true, 20, s2]])), ["ssl"]);
});

test("retransmissions and overlaps are trimmed: http", () => {
  const a = request.subarray(0, 20), b = request.subarray(10, 40), c = request.subarray(30);
  assert.equal(services(conversation(80, [[true, 0, a], [true, 0, a], [true, 10, b], [true, 30, c], [false, 0, reply]])), ["http"]);
});

test("on a signature port too (HTTP on 8123, held segment replayed after the hole)", () => {
  const a = request.subarray(0, 5), b = request.subarray(5);
  assert.equal(services(conversation(8123, [[true, 5, b], [true, 0, a], [false, 0, reply]])), ["http"]);
});

test("a hole the peer acknowledges is a content gap: HTTP stops there, before the held request", () => {
  // the client's first bytes are lost; the server acknowledges past them: the gap comes first, then
  // the held request (Zeek: Undelivered; HTTP skips the client's side after a gap outside a body)
  const c = session(80);
  const lost = Buffer.from("XXXX");
  c.client(lost.length, 0, request);
  c.server(0, lost.length + request.length, "", 0);
  // the lost bytes show up late: too late, the gap is already declared
  c.client(0, 0, lost);
  assert.equal(c.services(), ["-"]);
});

test("a signature that waits for a line end finds it wherever it falls in a long line", () => {
  // The matcher skips the bytes that keep its state 16 at a time (assembly/detect/regex.ts): the
  // line ends of IRC's signatures must be found at every offset of that stride, and near the end.
  // CR LF, and a lone LF or CR: a skip that stops one byte late would still see the LF of a CR LF
  for (const eol of ["\r\n", "\n", "\r"]) {
    for (let k = 0; k < 48; k++) {
      const client = Buffer.from(`PASS ${"p".repeat(k)}${eol}USER bob 0 * :Bob${eol}NICK bob${eol}`);
      const server = Buffer.from(`:srv NOTICE * :${"n".repeat(k)}${eol}:srv 001 bob :Welcome${eol}`);
      const what = `line of ${k} bytes, ${JSON.stringify(eol)}`;
      assert.equal(services(conversation(6667, [[true, 0, client], [false, 0, server]])), ["irc"], what);
      // not on IRC's port: only the signatures can find it
      assert.equal(services(conversation(7000, [[true, 0, client], [false, 0, server]])), ["irc"], `${what}, port 7000`);
    }
  }
});

test("a signature that fires late replays all the payload buffered before it, through every size of buffer", () => {
  // The PIA's buffer starts at 256 bytes and moves to 448, 832 and 2048 as the payload grows
  // (assembly/detect/registry.ts blockWithRoom): the buffered bytes and the matcher's state must
  // survive each move. IRC's signature needs a line end then NICK or USER, here after a long first
  // line sent 100 bytes at a time, and its analyzer must then parse all of it, from the start.
  for (const k of [150, 350, 700, 900]) {
    const first = Buffer.from(`PASS ${"p".repeat(k)}\r\n`);
    const segments: [boolean, number, Buffer][] = [];
    for (let off = 0; off < first.length; off += 100) segments.push([true, off, first.subarray(off, off + 100)]);
    segments.push([true, first.length, Buffer.from("USER bob 0 * :Bob\r\nNICK bob\r\n")]);
    segments.push([false, 0, Buffer.from(":srv 001 bob :Welcome\r\n")]);
    assert.equal(services(conversation(7000, segments)), ["irc"], `a first line of ${first.length} bytes`);
  }
});

// Zeek splits IRC into lines of at most 1000 bytes (ContentLine_Analyzer's max_line_length): the
// byte that finds a line full ends it and is consumed with it, so the next line starts after it.
// A 1000-byte line is ignored (over 512); what follows is a line of its own, here a numeric reply
// that is well formed or a violation depending on where it starts.
test("IRC: a line of over 1000 bytes is cut where Zeek cuts it, and the byte after the cut is dropped", () => {
  const client = Buffer.from("NICK bob\r\nUSER bob 0 * :Bob\r\n");
  const welcome = ":srv 001 bob :Welcome\r\n";
  const long = (rest: string) => Buffer.from(`${welcome}${"x".repeat(1000)}${rest}\r\n`);
  // "1" is dropped: "234 y" is a numeric reply (read from "1", "1234 y" would be a violation)
  assert.equal(services(conversation(6667, [[true, 0, client], [false, 0, long("1234 y")]])), ["irc"]);
  // "1" is dropped: "23 y" is a violation (read from "1", "123 y" would be well formed)
  assert.equal(services(conversation(6667, [[true, 0, client], [false, 0, long("123 y")]])), ["-"]);
  // a CR found after the cut ends nothing more: its LF is the CR LF's, and the next line is well formed
  assert.equal(services(conversation(6667, [[true, 0, client], [false, 0, long("\r\n234 y")]])), ["irc"]);
});

/** An IMAP server's greeting; an XMPP client's stream header and its server's (conversation()'s
 *  payloads in the IMAP and XMPP tests below). */
const IMAP_GREETING = Buffer.from("* OK ready\r\n");
const XMPP_OPEN = Buffer.from("<stream:stream to='example.com' xmlns='jabber:client' version='1.0'>");
const XMPP_REPLY = Buffer.from("<stream:stream from='example.com' id='1' version='1.0'>");

// Zeek's IMAP and XMPP parsers are binpac datagrams: each in-order delivery of the stream (a TCP
// segment) is parsed on its own. A token that a segment boundary cuts is a violation (binpac runs
// out of input), and a violation while the connection is under 10 KiB drops the service.
test("IMAP: a command or reply cut by a segment boundary is a violation, as in Zeek's binpac parser", () => {
  const greeting = Buffer.from("* OK IMAP4rev1 ready\r\n");
  const imap = (client: Buffer[]) => {
    const segments: [boolean, number, Buffer][] = [[false, 0, greeting]];
    let off = 0;
    for (const c of client) { segments.push([true, off, c]); off += c.length; }
    return services(conversation(143, segments));
  };
  const line = "a1 CAPABILITY\r\n";
  assert.equal(imap([Buffer.from(line)]), ["imap"], "whole");
  // two lines in one segment, and each line in a segment of its own: whole tokens
  assert.equal(imap([Buffer.from(line + "a2 NOOP\r\n")]), ["imap"], "two lines, one segment");
  assert.equal(imap([Buffer.from(line), Buffer.from("a2 NOOP\r\n")]), ["imap"], "two segments");
  for (const cut of [1, 3, 5, 13]) {
    assert.equal(imap([Buffer.from(line.slice(0, cut)), Buffer.from(line.slice(cut))]), ["-"], `cut after ${cut} bytes`);
  }
  // the LF of a CR LF alone at a segment's start: a token cannot start with it
  assert.equal(imap([Buffer.from(line.slice(0, 14)), Buffer.from("\n")]), ["-"], "cut between CR and LF");
  // the server's side too: its greeting cut in two
  const split: [boolean, number, Buffer][] = [[false, 0, greeting.subarray(0, 6)], [false, 6, greeting.subarray(6)], [true, 0, Buffer.from(line)]];
  assert.equal(services(conversation(143, split)), ["-"], "greeting cut");
});

test("XMPP: a tag cut by a segment boundary is a violation, as in Zeek's binpac parser", () => {
  const open = "<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' version='1.0'>";
  const reply = Buffer.from("<?xml version='1.0'?><stream:stream from='example.com' id='1' version='1.0'>");
  const xmpp = (client: string[]) => {
    const segments: [boolean, number, Buffer][] = [];
    let off = 0;
    for (const c of client) { segments.push([true, off, Buffer.from(c)]); off += c.length; }
    segments.push([false, 0, reply]);
    return services(conversation(5222, segments));
  };
  assert.equal(xmpp([open]), ["xmpp"], "whole");
  // a boundary between tags, or in the spacing after one: whole tokens
  const at = open.indexOf("<stream");
  assert.equal(xmpp([open.slice(0, at), open.slice(at)]), ["xmpp"], "cut between tags");
  assert.equal(xmpp([open + "\r\n", "  <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"]), ["xmpp"], "cut in the spacing");
  for (const cut of [at + 1, at + 5, open.length - 1]) {
    assert.equal(xmpp([open.slice(0, cut), open.slice(cut)]), ["-"], `cut after ${cut} bytes`);
  }
});

// IMAP's "login" and XMPP's <message> make Zeek skip the rest of the connection (SetSkip), but
// binpac still parses the rest of the segment they came in: a violation there counts.
test("IMAP and XMPP: after the token that ends parsing, the rest of its segment is still parsed", () => {
  const greeting: [boolean, number, Buffer] = [false, 0, Buffer.from("* OK IMAP4rev1 ready\r\n")];
  const imap = (...client: string[]) => {
    const segments: [boolean, number, Buffer][] = [greeting];
    let off = 0;
    for (const c of client) { segments.push([true, off, Buffer.from(c)]); off += c.length; }
    return services(conversation(143, segments));
  };
  assert.equal(imap("a1 login bob secret\r\na2 select INBOX\r\n", "not a token"), ["imap"], "later segments skipped");
  assert.equal(imap("a1 login bob secret\r\na2 select INBOX"), ["-"], "a token cut at the segment's end");
  assert.equal(imap("a1 login bob secret\r\nnot-a-token\r\n"), ["-"], "a bad token after login, same segment");

  const xmpp = (...client: string[]) => {
    const segments: [boolean, number, Buffer][] = [[true, 0, XMPP_OPEN], [false, 0, XMPP_REPLY]];
    let off = XMPP_OPEN.length;
    for (const c of client) { segments.push([true, off, Buffer.from(c)]); off += c.length; }
    return services(conversation(5222, segments));
  };
  assert.equal(xmpp("<message to='a@example.com'/>", "hi</body>"), ["xmpp"], "later segments skipped");
  assert.equal(xmpp("<message to='a@example.com'><body>hi</body></message>"), ["-"], "character data after <message>, same segment");
});

test("IMAP: a server's capability list may end with its segment; an empty one, or one with a TAB, is a violation", () => {
  // binpac reads "* CAPABILITY" on as a list of capabilities (ServerCapability), which may end
  // where the input ends; its first capability must follow the spaces
  const imap = (...server: string[]) => {
    const segments: [boolean, number, Buffer][] = [[false, 0, IMAP_GREETING], [true, 0, Buffer.from("a1 CAPABILITY\r\n")]];
    let off = 12;
    for (const s of server) { segments.push([false, off, Buffer.from(s)]); off += s.length; }
    return services(conversation(143, segments));
  };
  assert.equal(imap("* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n"), ["imap"], "whole");
  assert.equal(imap("* capability IMAP4rev1 STARTTLS\r\na1 OK done\r\n"), ["imap"], "lower case");
  assert.equal(imap("* CAPABILITY IMAP4rev1 ", "STARTTLS AUTH=PLAIN\r\na1 OK done\r\n"), ["imap"], "cut after a capability");
  assert.equal(imap("* CAPABILITY IMAP4r", "ev1 STARTTLS\r\na1 OK done\r\n"), ["imap"], "cut inside a capability");
  assert.equal(imap("* CAPABILITY", "a1 OK done\r\n"), ["imap"], "cut after the command");
  // the next segment starts a token afresh: a space cannot begin one
  assert.equal(imap("* CAPABILITY", " IMAP4rev1\r\na1 OK done\r\n"), ["-"], "the rest of the list in the next segment");
  assert.equal(imap("* CAPABILITY\r\na1 OK done\r\n"), ["-"], "an empty list");
  assert.equal(imap("* CAPABILITY IMAP4rev1\tSTARTTLS\r\na1 OK done\r\n"), ["-"], "a TAB");
});

test("XMPP: a segment of spacing only is a violation (a token's leading spacing, then no '<')", () => {
  for (const keepalive of [" ", "\n", "\r\n  "]) {
    const segments: [boolean, number, Buffer][] = [[true, 0, XMPP_OPEN], [false, 0, XMPP_REPLY], [true, XMPP_OPEN.length, Buffer.from(keepalive)]];
    assert.equal(services(conversation(5222, segments)), ["-"], JSON.stringify(keepalive));
  }
  // spacing after a tag in the same segment is that tag's
  const segments: [boolean, number, Buffer][] = [[true, 0, Buffer.concat([XMPP_OPEN, Buffer.from(" \r\n")])], [false, 0, XMPP_REPLY]];
  assert.equal(services(conversation(5222, segments)), ["xmpp"], "trailing spacing");
});

test("IMAP and XMPP: STARTTLS hands later segments to SSL, unless parsing was skipped; the rest of its segment is still parsed", () => {
  const ch = clientHello();
  const imap = (server: string) => services(conversation(143, [
    [false, 0, IMAP_GREETING], [true, 0, Buffer.from("a1 STARTTLS\r\n")], [false, 12, Buffer.from(server)], [true, 13, ch],
  ]));
  assert.equal(imap("a1 OK go\r\n"), ["imap,ssl"], "STARTTLS");
  assert.equal(imap("* list x\r\na1 OK go\r\n"), ["imap"], "skipped before the OK");
  assert.equal(imap("a1 OK go\r\nx"), ["-"], "a violation after the OK, same segment");
  const starttls = Buffer.from("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  const xmpp = (server: string) => services(conversation(5222, [
    [true, 0, XMPP_OPEN], [true, XMPP_OPEN.length, starttls], [false, 0, Buffer.from(server)], [true, XMPP_OPEN.length + starttls.length, ch],
  ]));
  const proceed = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
  assert.equal(xmpp(proceed), ["xmpp,ssl"], "proceed");
  assert.equal(xmpp("<presence/>" + proceed), ["xmpp"], "skipped before the proceed");
});

// Zeek's reassembler keeps the bytes it holds above a hole: a segment that overlaps them adds only
// what is around them, and each held block is delivered whole. IMAP's datagram parser shows where
// the deliveries are cut.
test("segments overlapping held ones: the held bytes are kept and delivered whole", () => {
  const greeting: [boolean, number, Buffer][] = [[false, 0, IMAP_GREETING]];
  const imap = (...client: [number, string][]) =>
    services(conversation(143, [...greeting, ...client.map(([off, s]): [boolean, number, Buffer] => [true, off, Buffer.from(s)])]));
  const stream = "a1 CAPABILITY\r\na2 NOOP\r\na3 NOOP\r\n"; // tokens end at 15, 24 and 33
  assert.equal(imap([0, stream.slice(0, 15)], [15, stream.slice(15, 24)], [24, stream.slice(24)]), ["imap"], "in order");
  // held [15, 24), then [0, 20): delivered as [0, 15) and [15, 24), two whole tokens
  assert.equal(imap([15, stream.slice(15, 24)], [0, stream.slice(0, 20)], [24, stream.slice(24)]), ["imap"], "a fill overlapping a held segment");
  // held [24, 33), then [15, 28) (held as [15, 24)), then the fill [0, 15)
  assert.equal(imap([24, stream.slice(24)], [15, stream.slice(15, 28)], [0, stream.slice(0, 15)]), ["imap"], "held segments overlapping");
  // the held bytes win over different ones sent again
  assert.equal(imap([15, stream.slice(15, 24)], [0, stream.slice(0, 15) + "XXXXX"], [24, stream.slice(24)]), ["imap"], "held bytes win");
  // a segment cut at 20 with nothing held past it is a cut token, as it should be
  assert.equal(imap([0, stream.slice(0, 20)], [20, stream.slice(20)]), ["-"], "cut in order");
});

test("a FIN held above a hole ends the stream once nothing is held past it, even behind later data", () => {
  // finger confirms on the end of the client's request ("alice" without a newline)
  const finger = (segments: [number, string, number][]) => {
    const c = session(79);
    for (const [off, data, flags] of segments) c.client(off, 0, data, PSH | flags);
    return c.services();
  };
  assert.equal(finger([[0, "alice", 0]]), ["-"], "no FIN");
  assert.equal(finger([[2, "ice", FIN], [0, "al", 0]]), ["finger"], "FIN held with its segment");
  // held [3, 8), then [1, 5) with the FIN (held as [1, 3) and the FIN at 5), then the fill
  assert.equal(finger([[3, "ceXYZ", 0], [1, "lice", FIN], [0, "a", 0]]), ["finger"], "data held past the FIN");
});

/** The capture with record `index` captured to its first `keep` bytes (a snaplen). */
function cutRecord(pcap: Buffer, index: number, keep: number): Buffer {
  const { offset, length } = pcapRecords(pcap)[index];
  const head = Buffer.from(pcap.subarray(offset, offset + 16));
  head.writeUInt32LE(keep, 8);
  return Buffer.concat([pcap.subarray(0, offset), head, pcap.subarray(offset + 16, offset + 16 + keep), pcap.subarray(offset + length)]);
}

test("a TCP payload cut by the snaplen is not delivered to the analyzers or signatures: a content gap", () => {
  // Zeek's TCP_Endpoint::DataSent hands the reassembler whole payloads only. Record 3 is the
  // first segment after the handshake; 14 + 20 + 20 bytes of headers come before its payload.
  const request = conversation(8080, [[true, 0, Buffer.from("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")], [false, 0, reply]]);
  assert.equal(services(request), ["http"], "whole");
  assert.equal(services(cutRecord(request, 3, 54 + 20)), ["-"], "the request cut after its request line");
  const imap = conversation(143, [[false, 0, IMAP_GREETING], [true, 0, Buffer.from("a1 CAPABILITY\r\n")],
    [false, 12, Buffer.from("* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n")]]);
  assert.equal(services(cutRecord(imap, 5, 54 + 10)), ["imap"], "a reply cut after 10 bytes ends nothing the greeting confirmed");
});

test("an acknowledgement past bytes never seen is a content gap, with nothing held behind it", () => {
  // Zeek's TCP_Reassembler::AckReceived: the ACK (captured before the data it acknowledges, as
  // merged taps do) trims the stream, and the ClientHello arriving after it is old data
  const ch = clientHello();
  for (const ackFirst of [false, true]) {
    const c = session(443);
    if (ackFirst) c.server(0, ch.length, "");
    c.client(0, 0, ch);
    c.server(0, ch.length, "");
    assert.equal(c.services(), ackFirst ? ["-"] : ["ssl"], ackFirst ? "ACK first" : "in order");
  }
});

test("after a content gap the stream goes on: FTP reads the lines after it (Zeek's ContentLine passes gaps on)", () => {
  // the client's USER line is missing from the capture; the server's reply acknowledges it
  assert.equal(greeted((c) => {
    c.server(11, 8, "331 password\r\n");
    c.client(8, 26, "PASS secret\r\n");
  }), ["ftp"]);
});

test("SMTP after a content gap: client lines wait, the server's next reply confirms (Zeek's gap recovery)", () => {
  // the client's EHLO is missing from the capture; the server's 250 acknowledges it
  const recovered = session(25);
  recovered.server(0, 0, "220 mail ready\r\n");
  recovered.server(16, 19, "250 hello\r\n");
  assert.equal(recovered.services(), ["smtp"], "the reply after the gap");
  const lone = session(25);
  lone.server(0, 0, "220 mail ready\r\n");
  lone.client(0, 16, "EHLO example.com\r\n");
  assert.equal(lone.services(), ["smtp"], "in order, EHLO confirms");
  // after a gap in the client's stream with no reply yet, a client line does not confirm
  const waiting = session(25);
  waiting.server(0, 0, "220 mail ready\r\n");
  waiting.server(16, 19, "");
  waiting.client(19, 16, "MAIL FROM:<a@example.com>\r\n");
  assert.equal(waiting.services(), ["-"], "client lines after the gap wait for a reply");
});

test("HTTP after a content gap: one inside a body of known length is skipped, any other stops that side", () => {
  // the reply's body loses the bytes [from, to); the client acknowledges past them; then the server
  // sends a line that is no status line, a violation that drops http if HTTP is still reading
  const body = "0123456789abcdefghij";
  const reply = (head: string, tail: string) => (from: number, to: number) => {
    const c = session(80);
    c.client(0, 0, request);
    c.server(0, request.length, head + body.slice(0, from));
    c.client(request.length, head.length + to, "");
    c.server(head.length + to, request.length, body.slice(to) + tail + "garbage\r\n");
    return c.services();
  };
  const http = reply("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n", "");
  assert.equal(http(5, 5), ["-"], "no gap: the line after the body is a violation");
  assert.equal(http(5, 10), ["-"], "a gap inside the body is skipped (HTTP_Entity::Undelivered): the violation is seen");
  assert.equal(http(0, 10), ["http"], "a gap at the body's start stops the replies: no violation");
  // a chunked body (one chunk of 0x14 bytes): the same within a chunk, once the body has begun
  const chunked = reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n", "\r\n0\r\n\r\n");
  assert.equal(chunked(5, 5), ["-"], "chunked, no gap: the violation is seen");
  assert.equal(chunked(5, 10), ["-"], "a gap inside a chunk is skipped");
  assert.equal(chunked(0, 10), ["http"], "a gap at the chunked body's start stops the replies");
});

test("HTTP: a client's gap while a reply is read stops the replies, without a violation (ReplyMade)", () => {
  const c = session(80);
  c.client(0, 0, request);
  c.server(0, request.length, "HTTP/1.1 200 OK\r\n");
  // 10 bytes of the client's are missing from the capture; the server's next segment acknowledges them
  c.server(17, request.length + 10, "Content-Length: 0\r\n\r\n");
  assert.equal(c.services(), ["http"]);
});

test("an acknowledgement past the FIN counts up to the FIN: no gap for the FIN itself", () => {
  // finger's client sends an empty request and its FIN; the server's reply line (over 10 bytes)
  // confirms, unless a gap stopped the analyzer first (Zeek's AckReceived clamps at FIN_seq - 1)
  const c = session(79);
  c.client(0, 0, "\r\n", PSH | FIN);
  c.server(0, 3, "a reply line longer than ten bytes\r\n");
  assert.equal(c.services(), ["finger"]);
});

test("a line the stream's end cuts is still read (ContentLine's EndpointEOF), also after a gap", () => {
  const ftp = (cutLast: boolean) => {
    const c = session(21);
    c.server(0, 0, "220 ready\r\n");
    c.client(0, 11, "USER al");
    c.client(7, 11, "ice", PSH | FIN);
    c.server(11, 11, "");
    // record 5 is the client's last segment: cut by the snaplen, its bytes are a gap once
    // acknowledged, and the FIN it carried still ends the stream
    return services(cutLast ? cutRecord(c.pcap(), 5, 54) : c.pcap());
  };
  assert.equal(ftp(false), ["ftp"], "USER alice, ended by the FIN");
  assert.equal(ftp(true), ["ftp"], "USER al, a gap, then the end");
  // a RST at the next byte ends the stream too (Zeek's CheckEOF for a reset side); one past a
  // missing byte does not
  const reset = (skip: number) => greeted((c) => {
    c.client(0, 11, "USER alice");
    c.client(10 + skip, 11, "", PSH | RST);
  });
  assert.equal(reset(0), ["ftp"], "USER alice, ended by a RST");
  assert.equal(reset(5), ["-"], "a RST past missing bytes ends nothing");
});

test("a stream's end waits for the peer's data it has not acknowledged (Zeek's DataPending)", () => {
  // The client's FIN does not acknowledge the server's greeting: Zeek's reassembler still holds
  // the greeting, so the client's end of stream, and with it the cut line, waits for the client's
  // next acknowledgement. A reset server does not end the wait (only the client's own RST would).
  const ftp = (finAcks: number, thenClientAcks: boolean) => greeted((c) => {
    c.client(0, finAcks, "USER alice", PSH | FIN);
    c.server(11, 11, "", RST);
    if (thenClientAcks) c.client(11, 11, "", 0);
  });
  assert.equal(ftp(0, false), ["-"], "the greeting never acknowledged: the line is never read");
  assert.equal(ftp(5, false), ["-"], "part of it acknowledged: still waiting");
  assert.equal(ftp(11, false), ["ftp"], "all of it acknowledged by the FIN: the line is read at once");
  assert.equal(ftp(0, true), ["ftp"], "acknowledged after the FIN: the line is read then");
  // an acknowledgement into a hole: the gap, then the held reply past it, delivered but not
  // acknowledged by it
  const afterGap = (finAcks: number) => greeted((c) => {
    c.server(22, 0, "220 later\r\n");
    c.client(0, 22, "");
    c.client(0, finAcks, "USER alice", PSH | FIN);
    c.server(33, 11, "", RST);
  });
  assert.equal(afterGap(22), ["-"], "the reply held past the gap is not acknowledged: waiting");
  assert.equal(afterGap(33), ["ftp"], "acknowledged: the line is read");
});

test("a RST: a reset side's end no longer waits for the peer, but one after both FINs still does", () => {
  // Zeek's UpdateClosedState keeps a side that sent its FIN closed at a RST when the peer had
  // closed too; otherwise the side is TCP_ENDPOINT_RESET from then on, and DataPending asks no
  // more of the peer. The client never acknowledges the greeting.
  assert.equal(greeted((c) => {
    c.server(11, 0, "", FIN);
    c.client(0, 0, "USER alice", PSH | FIN);
    c.client(11, 0, "", RST);
  }), ["-"], "closed, not reset: the end still waits for the greeting");
  // the client's FIN is held above a hole when it resets; the hole fills later: its stream ends
  assert.equal(greeted((c) => {
    c.client(5, 0, "alice", PSH | FIN);
    c.client(11, 0, "", RST);
    c.client(0, 0, "USER ");
  }), ["ftp"], "reset: USER alice is read once the hole fills");
  // the server's FIN then RST was a normal close once the client sends its FIN (Zeek's
  // UpdateEstablishedState): both are closed, and the client's RST leaves it closed, waiting
  assert.equal(greeted((c) => {
    c.server(11, 0, "", FIN);
    c.server(12, 0, "", RST);
    c.client(0, 0, "USER alice", PSH | FIN);
    c.client(11, 0, "", RST);
  }), ["-"], "a FIN then a RST, then the peer's FIN: closed again");
  // the peer's FIN closes the reset side again before its acknowledgement fills that side's hole
  // (Zeek's state machine runs before AckReceived): the end then waits for the greeting
  assert.equal(greeted((c) => {
    c.client(4, 0, "alice");
    c.client(9, 0, "", FIN);
    c.client(10, 0, "", RST);
    c.server(11, 10, "", FIN);
  }), ["-"], "closed again, then the gap: still waiting");
  // a reset side's FIN counts for nothing (UpdateResetState): its stream still ends before the RST
  assert.equal(greeted((c) => {
    c.client(5, 0, "alice");
    c.client(10, 0, "", RST);
    c.client(20, 0, "", FIN);
    c.client(0, 0, "USER ");
  }), ["ftp"], "a FIN after the RST does not move the end");
  // a RST's sequence number over 1 MB away is not trusted (update_last_seq): the stream ends
  // where its data does
  const farReset = () => {
    const c = session(21);
    c.client(0, 0, "USER alice");
    c.client(10 + 0x200000, 0, "", RST);
    return c.services();
  };
  assert.equal(farReset(), ["ftp"], "a RST 2 MB ahead ends the stream where its data ends");
});

test("the SYN/SYN-ACK reversal: the SYN's sender is the originator for its data from that packet on", () => {
  // A SYN-ACK, then the SYN it answers: Zeek flips the roles inside the SYN's packet
  // (UpdateInactiveState) and counts that packet on its old side, but the SYN's sender's endpoint,
  // now the originator's, numbers its stream. Both streams start where their SYNs say.
  const p = new PcapBuilder();
  const s = sshBanner.length, k = sshNewkeys.length;
  p.tcp(SERVER, 2222, CLIENT, 40000, 1000, 5001, SYN | ACK, Buffer.alloc(0));
  p.tcp(CLIENT, 40000, SERVER, 2222, 5000, 0, SYN, Buffer.alloc(0));
  p.tcp(CLIENT, 40000, SERVER, 2222, 5001, 1001, ACK, Buffer.alloc(0));
  p.tcp(SERVER, 2222, CLIENT, 40000, 1001, 5001, ACK | PSH, sshBanner);
  p.tcp(CLIENT, 40000, SERVER, 2222, 5001, 1001 + s, ACK | PSH, sshBanner);
  p.tcp(CLIENT, 40000, SERVER, 2222, 5001 + s, 1001 + s, ACK | PSH, sshNewkeys);
  p.tcp(SERVER, 2222, CLIENT, 40000, 1001 + s, 5001 + s + k, ACK | PSH, sshNewkeys);
  assert.equal(services(p.done()), ["ssh"]);
});

test("a flip clears the partial status: the SYN-ACK's sender's data before its peer's first packet is read", () => {
  // Seen from its SYN-ACK on, between two likely server ports (no flip at creation): the roles
  // flip at the sender's next segment (Zeek PR #2191), and Zeek's FlipRoles clears is_partial, so
  // its banner reaches SSH, attached by the responder's port 22 at creation. Kept partial, SSH
  // would drop it and violate at the first binary packet.
  const p = new PcapBuilder();
  const s = sshBanner.length, k = sshNewkeys.length;
  p.tcp(SERVER, 80, CLIENT, 22, 5000, 1001, SYN | ACK, Buffer.alloc(0));
  p.tcp(SERVER, 80, CLIENT, 22, 5001, 1001, ACK | PSH, sshBanner);
  p.tcp(CLIENT, 22, SERVER, 80, 1001, 5001 + s, ACK | PSH, sshBanner);
  p.tcp(CLIENT, 22, SERVER, 80, 1001 + s, 5001 + s, ACK | PSH, sshNewkeys);
  p.tcp(SERVER, 80, CLIENT, 22, 5001 + s, 1001 + s + k, ACK | PSH, sshNewkeys);
  assert.equal(services(p.done()), ["ssh"]);
});

test("a partial connection: one byte past its start is no gap only while the stream is at its start", () => {
  // the client's first packet is a bare ACK; the server acknowledges 10 bytes never seen (a gap),
  // then one more (a gap too: Zeek's exception is for up_to_seq <= 2 only); USER is then in order
  const c = session(21, true);
  c.client(0, 0, "");
  c.server(0, 10, "");
  c.server(0, 11, "");
  c.client(11, 0, "USER alice\r\n");
  assert.equal(c.services(), ["ftp"]);
});

test("more than the held segments' room above a hole: the hole becomes a gap and the stream goes on", () => {
  // 5 lines of 1000 bytes held above a lost one overflow the 4 KiB kept: the hole is given up as a
  // gap, and FTP reads the held lines (Zeek holds them all, until the ACK below delivers them)
  const line = "NOOP " + "a".repeat(993) + "\r\n";
  assert.equal(greeted((c) => {
    for (let i = 1; i <= 5; i++) c.client(i * 1000, 0, line);
    c.server(11, 6000, "200 ok\r\n");
  }), ["ftp"]);
});

// Zeek's POP3 analyzer queues every pipelined command (a std::list) and pairs each reply with the
// one at the front: a multi-line reply (TOP, RETR) is read to its "." line. A mail client that
// pipelines many commands must not run out of queue, or a later reply's lines would be taken for
// replies of their own, a violation.
test("POP3: 9 and 200 pipelined TOP commands, each answered by a multi-line reply: pop3", () => {
  for (const n of [9, 200]) {
    const pcap = messagesInTurn(110, [
      [false, Buffer.from("+OK POP3 ready\r\n")],
      [true, Buffer.from("USER a\r\n")], [false, Buffer.from("+OK\r\n")],
      [true, Buffer.from("PASS b\r\n")], [false, Buffer.from("+OK logged in\r\n")],
      [true, Buffer.from("TOP 1 0\r\n".repeat(n))],
      [false, Buffer.from("+OK\r\nSubject: x\r\n.\r\n".repeat(n))],
      [true, Buffer.from("QUIT\r\n")], [false, Buffer.from("+OK bye\r\n")],
    ]);
    assert.equal(services(pcap), ["pop3"], `${n} commands`);
  }
});

test.run();
