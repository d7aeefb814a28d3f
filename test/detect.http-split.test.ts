// The HTTP parser must find the same things however the stream is cut into segments: it takes runs
// of characters together (a header name being matched, a name that is none of the ones it reads,
// a header's ignored rest, a request URI) and carries their state from one segment to the next.
// A conversation whose outcome depends on all of that: a request with a long URI and a long unknown
// header, a reply sized by Content-Length, then a WebSocket upgrade, found only if every header
// before it was framed right. It must come out "http,websocket" with each message cut at every
// byte, and with every byte a segment of its own.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { servicesOf } from "./helpers/conn.js";
import { messagesInTurn as conversation } from "./helpers/detect-pcap.js";

const request = Buffer.from("GET /" + "a/".repeat(150) + "x.html?q=%20y HTTP/1.1\r\nHost: example.com\r\n" +
  "X-" + "Long".repeat(80) + ": v\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\r\n");
const reply = Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\ncontent-LENGTH: 5\r\n" +
  "Connection: keep-alive\r\nTransfer-Encodings: no\r\n\r\nhello");
const upgradeRequest = Buffer.from("GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
const upgradeReply = Buffer.from("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
const key = Buffer.from([1, 2, 3, 4]);
const frame = Buffer.concat([Buffer.from([0x81, 0x85]), key, Buffer.from("hello").map((b, i) => b ^ key[i % 4])]);

const messages: [boolean, Buffer][] = [[true, request], [false, reply], [true, upgradeRequest], [false, upgradeReply], [true, frame]];

/** The conversation `msgs` with message m's bytes given as segments cut at `cuts`. */
function cutAt(m: number, cuts: number[], msgs = messages): Buffer {
  const [fromClient, data] = msgs[m];
  const bounds = [0, ...cuts, data.length];
  const pieces: [boolean, Buffer][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) pieces.push([fromClient, data.subarray(bounds[i], bounds[i + 1])]);
  return conversation(80, [...msgs.slice(0, m), ...pieces, ...msgs.slice(m + 1)]);
}

const services = (pcap: Buffer): string => servicesOf(pcap).map((s) => s.split(",").sort().join(",")).join(" ");

test("HTTP: the same services with each message cut in two at every byte", () => {
  assert.is(services(conversation(80, messages)), "http,websocket");
  for (let m = 0; m < 4; m++) {
    const failed: number[] = [];
    for (let k = 1; k < messages[m][1].length; k++) if (services(cutAt(m, [k])) !== "http,websocket") failed.push(k);
    assert.equal(failed, [], `message ${m} cut at these bytes`);
  }
});

test("HTTP: the same services with every byte a segment of its own", () => {
  for (let m = 0; m < 4; m++) {
    const every = [...Array(messages[m][1].length - 1).keys()].map((i) => i + 1);
    assert.is(services(cutAt(m, every)), "http,websocket", `message ${m}`);
  }
});

// Header lines whose ends are in view are taken whole (passed over, or read at once when their
// name is one the parser reads): with line ends that are LF alone, or CR alone, or a CR ending a
// segment, the lines must still end where the line splitter ends them.
test("HTTP: the same services with LF or CR line ends, each message cut in two at every byte", () => {
  for (const eol of ["\n", "\r"]) {
    // the HTTP messages' line ends; the WebSocket frame is left as it is
    const msgs = messages.map(([c, b], m): [boolean, Buffer] =>
      [c, m < 4 ? Buffer.from(b.toString("latin1").replaceAll("\r\n", eol), "latin1") : b]);
    assert.is(services(conversation(80, msgs)), "http,websocket", JSON.stringify(eol));
    for (let m = 0; m < 4; m++) {
      const failed: number[] = [];
      for (let k = 1; k < msgs[m][1].length; k++) if (services(cutAt(m, [k], msgs)) !== "http,websocket") failed.push(k);
      assert.equal(failed, [], `${JSON.stringify(eol)}: message ${m} cut at these bytes`);
    }
  }
});

// A read header's value is its first token: after blanks (spaces or tabs, or none), up to a
// blank, ';' or ','. Spelled so, the sized reply and the upgrade must come out the same whole
// (each line read at once) and cut at every byte (read through the state kept between segments).
test("HTTP: read header values with tabs, no blank, ';' and ',', each message cut in two at every byte", () => {
  const odd = messages.slice();
  odd[1] = [false, Buffer.from("HTTP/1.1 200 OK\r\nContent-Length:\t5\t;x\r\ncontent-type:text/html\r\n\r\nhello")];
  odd[3] = [false, Buffer.from("HTTP/1.1 101 Switching Protocols\r\nupgrade:WebSocket\r\nCONNECTION:  upgrade,close\r\n\r\n")];
  assert.is(services(conversation(80, odd)), "http,websocket");
  for (const m of [1, 3]) {
    const failed: number[] = [];
    for (let k = 1; k < odd[m][1].length; k++) if (services(cutAt(m, [k], odd)) !== "http,websocket") failed.push(k);
    assert.equal(failed, [], `message ${m} cut at these bytes`);
  }
});

// The two ways a header line is read (whole, when its end is in the segment; a character run at a
// time, when it is cut) must agree on every spelling, not only the ones above. Spellings of the
// four headers the parser reads, in the sized or chunked reply and in the upgrade's reply: each
// token ending (nothing, a blank, a tab, ';', ',', a letter) and look-alike name in turn, each
// letter's case and the blanks after ':' at random (seeded), LF line ends in some rounds. Each
// conversation must come out the same whole and with either reply cut at every byte. Whether it
// comes out "http,websocket" depends on the spelling; the test asks for both outcomes.
test("HTTP: spellings of the read headers give the same services whole and cut at every byte", () => {
  let seed = 0x2545f491;
  const rnd = (n: number): number => { // xorshift32
    seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
    return seed % n;
  };
  const pick = <T>(xs: T[]): T => xs[rnd(xs.length)];
  const anyCase = (w: string): string => [...w].map((c) => (rnd(2) ? c.toUpperCase() : c.toLowerCase())).join("");
  const header = (name: string, value: string): string => `${anyCase(name)}:${pick(["", " ", "\t", "  ", " \t"])}${value}`;
  const outcomes = new Set<string>();
  for (let round = 0; round < 12; round++) {
    const nth = <T>(xs: T[], k = round): T => xs[k % xs.length];
    const eol = round % 4 === 3 ? "\n" : "\r\n";
    const body = "hello";
    const sized = round % 2 === 0;
    const framing = sized
      ? header(nth(["Content-Length", "Content-Length", "Content-Lengths"], round >> 1), `${body.length}${nth(["", " ;x", "\t", ",7", "x", ";"], round >> 1)}`)
      : header(nth(["Transfer-Encoding", "Transfer-Encoding", "Transfer-Encodin"], round >> 1), `${anyCase("chunked")}${nth(["", " ", ";q", ",gzip", "\tx"], round >> 1)}`);
    const content = sized ? body : `5${eol}${body}${eol}0${eol}${eol}`;
    const reply = ["HTTP/1.1 200 OK", header("Content-Type", "text/plain"), framing, header("Connection", "keep-alive"), ""].join(eol) + eol + content;
    const upgrade = ["HTTP/1.1 101 Switching Protocols",
      header(nth(["Upgrade", "Upgrade", "X-Upgrade", "Upgrade", "Upgrade"]), `${anyCase("websocket")}${nth(["", ",h2c", "\tx", ";", " x"])}`),
      header(nth(["Connection", "Connection", "Connection", "Connections"]), nth(["upgrade", "Upgrade, keep-alive", "upgrade;x", "keep-alive, upgrade", "upgrade\tx"], round + 2)),
      "", ""].join(eol);
    const msgs = messages.slice();
    msgs[1] = [false, Buffer.from(reply, "latin1")];
    msgs[3] = [false, Buffer.from(upgrade, "latin1")];
    const whole = services(conversation(80, msgs));
    outcomes.add(whole);
    for (const m of [1, 3]) {
      const failed: number[] = [];
      for (let k = 1; k < msgs[m][1].length; k++) if (services(cutAt(m, [k], msgs)) !== whole) failed.push(k);
      assert.equal(failed, [], `round ${round}, message ${m} ${JSON.stringify(msgs[m][1].toString("latin1"))} (whole: ${whole}) cut at these bytes`);
    }
  }
  assert.ok(outcomes.has("http,websocket") && outcomes.size > 1, `outcomes: ${[...outcomes].join(" | ")}`);
});

// The request line's version: " HTTP/d.d" right after the URI is taken at once when it is all in
// view, character by character when a segment ends inside it. The version decides whether the
// connection is kept alive, and so whether a bad line after a reply from an HTTP/1.0 server is a
// violation (the service dropped) or the end of the talk (kept): each spelling must come out the
// same whole and with the request cut at every byte, and the spellings must give both outcomes.
test("HTTP: request line versions give the same services whole and cut at every byte", () => {
  const reply = Buffer.from("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi");
  const bad = Buffer.from("\x01\x02 bad\r\n\r\n", "latin1");
  const outcomes = new Set<string>();
  for (const version of ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.x", "HTTP/x.1", "HTTP/1.10", "HTTP/1", "HTTP/",
    "http/1.1", "HTTPS/1.1", " HTTP/1.1", "\tHTTP/1.1", "HTTP/1.1 x", "HTTP/0.9"]) {
    for (const uri of ["/index.html", "http://a/b", "/"]) {
      const msgs: [boolean, Buffer][] = [[true, Buffer.from(`GET ${uri} ${version}\r\nHost: a\r\n\r\n`, "latin1")], [false, reply], [true, bad]];
      const whole = services(conversation(80, msgs));
      outcomes.add(whole);
      const failed: number[] = [];
      for (let k = 1; k < msgs[0][1].length; k++) if (services(cutAt(0, [k], msgs)) !== whole) failed.push(k);
      assert.equal(failed, [], `${JSON.stringify(msgs[0][1].toString("latin1"))} (whole: ${whole}) cut at these bytes`);
    }
  }
  assert.equal([...outcomes].sort(), ["-", "http"]);
});

// The status line's start: "HTTP/", the version, a blank and the code are taken at once when they
// are all in view. The reply's version keeps the connection alive, its code decides an upgrade,
// and a line that is no status line is a violation: each spelling must come out the same whole
// and with the reply cut at every byte, and the spellings must give each outcome.
test("HTTP: status line spellings give the same services whole and cut at every byte", () => {
  const request = Buffer.from("GET /index.html HTTP/1.0\r\nHost: a\r\n\r\n");
  const bad = Buffer.from("\x01\x02 bad\r\n\r\n", "latin1");
  const reply = (status: string): Buffer => Buffer.from(`${status}\r\nContent-Length: 2\r\n\r\nhi`, "latin1");
  const upgrade = (status: string): Buffer => Buffer.from(upgradeReply.toString("latin1").replace("HTTP/1.1 101 Switching Protocols", status), "latin1");
  const cases: [string, [boolean, Buffer][]][] = [];
  // then a bad line: a violation if the reply kept the connection alive
  for (const status of ["HTTP/1.1 200 OK", "HTTP/1.0 200 OK", "HTTP/1.1 200", "HTTP/1.0 200", "HTTP/1.1 20", "HTTP/1.1 2x0 OK",
    "HTTP/1.1  200 OK", "HTTP/1.1\t200 OK", "HTTP/1 200 OK", "HTTP/1.10 200 OK", "HTTP/2 200", "HTTP/x.y 200 OK",
    "http/1.1 200 OK", "HTTP 1.1 200 OK", "HTTP/1.1 404 Not Found"]) cases.push([status, [[true, request], [false, reply(status)], [true, bad]]]);
  // a WebSocket upgrade, taken only on a code of 101 (a blank among the version's characters
  // starts the code early)
  for (const status of ["HTTP/1.1 101 Switching Protocols", "HTTP/1.1 101", "HTTP/1 1 101 Switching Protocols", "HTTP/1.1 1O1 x",
    "HTTP/1.1 102 Processing"]) cases.push([status, [messages[0], messages[1], messages[2], [false, upgrade(status)], messages[4]]]);
  const outcomes = new Set<string>();
  for (const [status, msgs] of cases) {
    const m = msgs.length === 3 ? 1 : 3;
    const whole = services(conversation(80, msgs));
    outcomes.add(whole);
    const failed: number[] = [];
    for (let k = 1; k < msgs[m][1].length; k++) if (services(cutAt(m, [k], msgs)) !== whole) failed.push(k);
    assert.equal(failed, [], `${JSON.stringify(status)} (whole: ${whole}) cut at these bytes`);
  }
  assert.equal([...outcomes].sort(), ["-", "http", "http,websocket"]);
});

test.run();
