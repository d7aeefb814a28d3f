// Analyzers Zeek runs inside others: GSSAPI, NTLM and KRB from SMB session setup and from DCE-RPC
// auth trailers; WebSocket after an HTTP upgrade. The messages are built here from the
// specifications (MS-SMB2, RFC 4178 SPNEGO, MS-NLMP, MS-RPCE, RFC 6455); each connection's
// services must be the parent's plus the nested ones.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Engine } from "../src/engine.js";
import { asRows, connRecordsOf, servicesOf } from "./helpers/conn.js";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { messagesInTurn as conversation } from "./helpers/detect-pcap.js";

/** Each connection's services, sorted ("" for none). */
const services = (pcap: Buffer): string[] =>
  servicesOf(pcap).map((s) => (s === "-" ? [] : s.split(",")).sort().join(","));

// ---------------------------------------------------------------- DER, SPNEGO, NTLMSSP

function der(tag: number, ...content: Buffer[]): Buffer {
  const c = Buffer.concat(content);
  const len = c.length < 0x80 ? Buffer.from([c.length]) : c.length < 0x100 ? Buffer.from([0x81, c.length]) : Buffer.from([0x82, c.length >> 8, c.length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, c]);
}
const SPNEGO_OID = Buffer.from("06062b0601050502", "hex");
const NTLM_OID = Buffer.from("060a2b06010401823702020a", "hex");

const negTokenInit = (mechToken: Buffer) =>
  der(0x60, SPNEGO_OID, der(0xa0, der(0x30, der(0xa0, der(0x30, NTLM_OID)), der(0xa2, der(0x04, mechToken)))));
const negTokenResp = (state: number | undefined, mechToken?: Buffer) =>
  der(0xa1, der(0x30, ...(state === undefined ? [] : [der(0xa0, der(0x0a, Buffer.from([state])))]),
    ...(mechToken ? [der(0xa1, NTLM_OID), der(0xa2, der(0x04, mechToken))] : [])));

const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
const fields = (len: number, off: number) => Buffer.concat([u16(len), u16(len), u32(off)]);
const utf16 = (s: string) => Buffer.from(s, "utf16le");
const SIG = Buffer.from("NTLMSSP\0", "latin1");
const VERSION = Buffer.from("0a0063450000000f", "hex");

function ntlmNegotiate(): Buffer {
  return Buffer.concat([SIG, u32(1), u32(0xe2088297), fields(0, 0), fields(0, 0), VERSION]);
}

function ntlmChallenge(): Buffer {
  const name = utf16("DOMA");
  const av = Buffer.concat([u16(2), u16(8), utf16("DOMA"), u16(1), u16(8), utf16("SERV"), u16(7), u16(8), Buffer.alloc(8, 1), u16(0), u16(0)]);
  return Buffer.concat([SIG, u32(2), fields(name.length, 56), u32(0xe2898215), Buffer.alloc(8, 0x11), Buffer.alloc(8),
    fields(av.length, 64), VERSION, name, av]);
}

function ntlmAuthenticate(): Buffer {
  const lm = Buffer.alloc(24), nt = Buffer.alloc(40, 2), dom = utf16("DOMA"), user = utf16("user"), ws = utf16("WKST"), key = Buffer.alloc(16, 3);
  let off = 88;
  const f = (b: Buffer) => { const r = fields(b.length, off); off += b.length; return r; };
  const head = Buffer.concat([SIG, u32(3), f(lm), f(nt), f(dom), f(user), f(ws), f(key), u32(0xe2888215), VERSION, Buffer.alloc(16)]);
  return Buffer.concat([head, lm, nt, dom, user, ws, key]);
}

// ---------------------------------------------------------------- SMB2

function smb2(command: number, response: boolean, status: number, body: Buffer): Buffer {
  const h = Buffer.alloc(64);
  h.write("\xfeSMB", 0, "latin1");
  h.writeUInt16LE(64, 4);
  h.writeUInt32LE(status >>> 0, 8);
  h.writeUInt16LE(command, 12);
  h.writeUInt32LE(response ? 1 : 0, 16);
  const msg = Buffer.concat([h, body]);
  const nb = Buffer.from([0, (msg.length >> 16) & 0xff, (msg.length >> 8) & 0xff, msg.length & 0xff]);
  return Buffer.concat([nb, msg]);
}

function sessionSetupRequest(blob: Buffer): Buffer {
  const body = Buffer.alloc(24);
  body.writeUInt16LE(25, 0);
  body.writeUInt16LE(88, 12);
  body.writeUInt16LE(blob.length, 14);
  return smb2(1, false, 0, Buffer.concat([body, blob]));
}

function sessionSetupResponse(status: number, blob: Buffer): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16LE(9, 0);
  body.writeUInt16LE(72, 4);
  body.writeUInt16LE(blob.length, 6);
  return smb2(1, true, status, Buffer.concat([body, blob]));
}

const negotiate = (response: boolean) => smb2(0, response, 0, Buffer.alloc(response ? 64 : 36, 0));

test("SMB2 session setup with SPNEGO and NTLM: smb, gssapi, ntlm", () => {
  const pcap = conversation(445, [
    [true, negotiate(false)],
    [false, negotiate(true)],
    [true, sessionSetupRequest(negTokenInit(ntlmNegotiate()))],
    [false, sessionSetupResponse(0xc0000016, negTokenResp(1, ntlmChallenge()))],
    [true, sessionSetupRequest(negTokenResp(undefined, ntlmAuthenticate()))],
    [false, sessionSetupResponse(0, negTokenResp(0))],
  ]);
  assert.equal(services(pcap), ["gssapi,ntlm,smb"]);
});

test("an NTLM message whose strings lie outside it is an NTLM violation (gssapi and smb stay)", () => {
  const bad = ntlmAuthenticate();
  bad.writeUInt32LE(5000, 12 + 8 + 4); // the NT response's offset, far past the message
  const pcap = conversation(445, [
    [true, negotiate(false)],
    [false, negotiate(true)],
    [true, sessionSetupRequest(negTokenResp(undefined, bad))],
    [false, sessionSetupResponse(0, negTokenResp(0))],
  ]);
  assert.equal(services(pcap), ["gssapi,smb"]);
});

test("a security blob that is not GSSAPI is a GSSAPI violation", () => {
  const pcap = conversation(445, [
    [true, negotiate(false)],
    [false, negotiate(true)],
    [true, sessionSetupRequest(Buffer.from("a5ffffff00000000", "hex"))],
    [false, sessionSetupResponse(0, Buffer.alloc(0))],
  ]);
  assert.equal(services(pcap), ["smb"]);
});

// ---------------------------------------------------------------- DCE-RPC

function dcerpc(ptype: number, body: Buffer, authType?: number, auth?: Buffer): Buffer {
  const authLen = auth ? auth.length : 0;
  const frag = 16 + body.length + (auth ? 8 + authLen : 0);
  const h = Buffer.alloc(16);
  h[0] = 5; h[1] = 0; h[2] = ptype; h[3] = 3; h[4] = 0x10;
  h.writeUInt16LE(frag, 8);
  h.writeUInt16LE(authLen, 10);
  h.writeUInt32LE(2, 12);
  const trailer = auth ? Buffer.concat([Buffer.from([authType!, 2, 0, 0]), u32(0), auth]) : Buffer.alloc(0);
  return Buffer.concat([h, body, trailer]);
}

test("DCE-RPC bind with NTLM auth (type 10): dce_rpc, ntlm", () => {
  const pcap = conversation(135, [
    [true, dcerpc(11, Buffer.alloc(56, 0), 10, ntlmNegotiate())],
    [false, dcerpc(12, Buffer.alloc(60, 0), 10, ntlmChallenge())],
    [true, dcerpc(16, Buffer.alloc(4, 0), 10, ntlmAuthenticate())],
  ]);
  assert.equal(services(pcap), ["dce_rpc,ntlm"]);
});

test("DCE-RPC bind with SPNEGO auth (type 9): dce_rpc, gssapi, ntlm", () => {
  const pcap = conversation(135, [
    [true, dcerpc(11, Buffer.alloc(56, 0), 9, negTokenInit(ntlmNegotiate()))],
    [false, dcerpc(12, Buffer.alloc(60, 0), 9, negTokenResp(1, ntlmChallenge()))],
  ]);
  assert.equal(services(pcap), ["dce_rpc,gssapi,ntlm"]);
});

function smb2Tree(command: number, response: boolean, tree: number, body: Buffer): Buffer {
  const m = smb2(command, response, 0, body);
  m.writeUInt32LE(tree, 4 + 36);
  return m;
}
const treeConnectResponse = (tree: number, shareType: number) => {
  const body = Buffer.alloc(16);
  body.writeUInt16LE(16, 0);
  body[2] = shareType;
  return smb2Tree(3, true, tree, body);
};
/** An SMB2 message whose fixed part (structure size, then data offset and length) precedes data. */
function withData(command: number, response: boolean, tree: number, fixed: number, data: Buffer): Buffer {
  const body = Buffer.alloc(fixed);
  body.writeUInt16LE(fixed + 1, 0);
  body.writeUInt16LE(64 + fixed, 2);
  body.writeUInt32LE(data.length, 4);
  return smb2Tree(command, response, tree, Buffer.concat([body, data]));
}
const write = (tree: number, data: Buffer): Buffer => withData(9, false, tree, 48, data);
const readResponse = (tree: number, data: Buffer): Buffer => withData(8, true, tree, 16, data);

/** Tree 5 connected as a pipe, then a DCE-RPC bind written to it and its ack read back. */
const pipeBind = (): [boolean, Buffer][] => [
  [true, smb2Tree(3, false, 0, Buffer.alloc(8))],
  [false, treeConnectResponse(5, 2)],
  [true, write(5, dcerpc(11, Buffer.alloc(56, 0)))],
  [false, readResponse(5, dcerpc(12, Buffer.alloc(60, 0)))],
];

test("DCE-RPC on an SMB2 named pipe (tree connected as PIPE): dce_rpc joins smb, gssapi, ntlm", () => {
  const pcap = conversation(445, [
    [true, negotiate(false)],
    [false, negotiate(true)],
    [true, sessionSetupRequest(negTokenInit(ntlmNegotiate()))],
    [false, sessionSetupResponse(0, negTokenResp(0))],
    ...pipeBind(),
  ]);
  assert.equal(services(pcap), ["dce_rpc,gssapi,ntlm,smb"]);
});

test("after a content gap SMB resumes at the next message: a pipe opened after a lost read is still seen", () => {
  // Zeek's SMB_Analyzer::NeedResync: the partial messages are dropped and parsing restarts at the
  // next chunk that starts with an SMB message. A read's reply comes in two segments and the first
  // is missing: read on as if contiguous, its second half would be taken for a NetBIOS header and
  // the pipe's tree connect reply swallowed
  const lostRead = readResponse(9, Buffer.alloc(200, 0x41));
  const messages: [boolean, Buffer][] = [
    [true, negotiate(false)],
    [false, negotiate(true)],
    [true, sessionSetupRequest(negTokenInit(ntlmNegotiate()))],
    [false, sessionSetupResponse(0, negTokenResp(0))],
    [true, smb2Tree(8, false, 9, Buffer.alloc(48))],
    [false, lostRead.subarray(0, 100)],
    [false, lostRead.subarray(100)],
    ...pipeBind(),
  ];
  assert.equal(services(conversation(445, messages)), ["dce_rpc,gssapi,ntlm,smb"], "all captured");
  assert.equal(services(conversation(445, messages, [5])), ["dce_rpc,gssapi,ntlm,smb"], "the reply's first segment lost");
});

// A Kerberos AP-REQ as a GSSAPI mech token: 0x60 header, the Kerberos OID, token id 01 00, then
// [APPLICATION 14] holding a SEQUENCE (RFC 4121 4.1, RFC 4120 5.5.1).
const KRB5_OID = Buffer.from("06092a864886f712010202", "hex");
const krbApReq = () =>
  der(0x60, KRB5_OID, Buffer.from([1, 0]), der(0x6e, der(0x30, der(0xa0, der(0x02, Buffer.from([5]))), der(0xa1, der(0x02, Buffer.from([14]))))));

test("five analyzers on one connection: Kerberos tried, then NTLM, then DCE-RPC on a pipe", () => {
  const pcap = conversation(445, [
    [true, negotiate(false)],
    [false, negotiate(true)],
    [true, sessionSetupRequest(negTokenInit(krbApReq()))],
    [false, sessionSetupResponse(0xc000006d, Buffer.alloc(0))],
    [true, sessionSetupRequest(negTokenInit(ntlmNegotiate()))],
    [false, sessionSetupResponse(0, negTokenResp(0))],
    ...pipeBind(),
  ]);
  assert.equal(services(pcap), ["dce_rpc,gssapi,krb,ntlm,smb"]);
  // the rows of --by src,service: each analyzer counts the connection and, confirmed before its
  // end, every one of its 16 packets (a fifth analyzer's row is looked up, not kept in the record)
  const engine = new Engine({ by: ["src", "service"] });
  engine.beginFile();
  engine.write(pcap);
  engine.endFile("five");
  engine.end();
  const rows = engine.top(0, "pkts").map((r) => `${r.service}:${r.conns}:${r.pkts}`).sort();
  assert.equal(rows, ["dce_rpc:1:16", "gssapi:1:16", "krb:1:16", "ntlm:1:16", "smb:1:16"]);
});

test("DCE-RPC-looking data written to a disk share is file data, not DCE-RPC", () => {
  const pcap = conversation(445, [
    [true, negotiate(false)],
    [false, negotiate(true)],
    [true, smb2Tree(3, false, 0, Buffer.alloc(8))],
    [false, treeConnectResponse(6, 1)],
    [true, write(6, dcerpc(11, Buffer.alloc(56, 0)))],
  ]);
  assert.equal(services(pcap), ["smb"]);
});

// ---------------------------------------------------------------- WebSocket

const upgradeRequest = Buffer.from("GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
const upgradeReply = Buffer.from("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
const masked = (opcode: number, fin: boolean, text: string) => {
  const data = Buffer.from(text), key = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | data.length]), key, data.map((b, i) => b ^ key[i % 4])]);
};

// Zeek's HTTP analyzer hands no Authorization or WWW-Authenticate header to another analyzer: its
// NTLM analyzer is instantiated only by GSSAPI, SMB and DCE-RPC. HTTP with NTLM authentication is
// http alone, as in Zeek's conn.log.
test("HTTP with NTLM (and Negotiate) authentication headers: http only, as Zeek", () => {
  const b64 = (b: Buffer) => b.toString("base64");
  const pcap = conversation(80, [
    [true, Buffer.from(`GET /secure HTTP/1.1\r\nHost: intranet\r\nAuthorization: NTLM ${b64(ntlmNegotiate())}\r\n\r\n`)],
    [false, Buffer.from(`HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM ${b64(ntlmChallenge())}\r\nContent-Length: 0\r\n\r\n`)],
    [true, Buffer.from(`GET /secure HTTP/1.1\r\nHost: intranet\r\nAuthorization: Negotiate ${b64(negTokenResp(undefined, ntlmAuthenticate()))}\r\n\r\n`)],
    [false, Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")],
  ]);
  assert.equal(services(pcap), ["http"]);
});

test("HTTP upgraded to WebSocket: http, websocket (the server's frame in the 101's segment)", () => {
  const pcap = conversation(80, [
    [true, upgradeRequest],
    [false, Buffer.concat([upgradeReply, Buffer.from([0x81, 2]), Buffer.from("hi")])],
    [true, masked(1, true, "hello")],
  ]);
  assert.equal(services(pcap), ["http,websocket"]);
});

test("WebSocket: a message over two frames confirms at its end; a first frame with opcode 0 violates", () => {
  const ok = conversation(80, [
    [true, upgradeRequest],
    [false, upgradeReply],
    [true, Buffer.concat([masked(1, false, "hel"), masked(0, true, "lo")])],
  ]);
  assert.equal(services(ok), ["http,websocket"]);
  const bad = conversation(80, [
    [true, upgradeRequest],
    [false, upgradeReply],
    [true, masked(0, true, "hello")],
  ]);
  assert.equal(services(bad), ["http"]);
});

// Past DPD::ignore_violations_after (10 KiB) Zeek ignores a confirmed analyzer's violations, but the
// analyzer keeps running: an upgrade after that much traffic on the connection is still seen.
test("a WebSocket upgrade after 12 KiB of keep-alive replies: http, websocket", () => {
  const request = Buffer.from("GET /file HTTP/1.1\r\nHost: example.com\r\n\r\n");
  const reply = Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n"), Buffer.alloc(4096, 0x61)]);
  const pcap = conversation(80, [
    [true, request], [false, reply], [true, request], [false, reply], [true, request], [false, reply],
    [true, upgradeRequest],
    [false, upgradeReply],
    [true, masked(1, true, "hello")],
  ]);
  assert.equal(services(pcap), ["http,websocket"]);
});

// The reply headers that find a message's end (Transfer-Encoding: chunked, Content-Length) and the
// Upgrade header are recognised by name, case-insensitively: an upgrade after a chunked or a sized
// reply is found, and a header name as long as "Upgrade" but different is not one. The upgrade's
// 101 is the second reply: its status code is parsed afresh, not on top of the first reply's.
test("HTTP header names: a WebSocket upgrade after a chunked or a sized reply; a look-alike of Upgrade is not one", () => {
  const request = Buffer.from("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
  const replies = [
    "HTTP/1.1 200 OK\r\nTRANSFER-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\ncontent-LENGTH: 5\r\n\r\nhello",
  ];
  const upgradeAfter = (reply: Buffer, upgrade: Buffer) => conversation(80, [
    [true, request],
    [false, reply],
    [true, upgradeRequest],
    [false, upgrade],
    [true, masked(1, true, "hello")],
  ]);
  for (const reply of replies) assert.equal(services(upgradeAfter(Buffer.from(reply), upgradeReply)), ["http,websocket"], reply);
  // without an Upgrade header there is no upgrade: the client's frame is then a bad request line,
  // a violation that removes http (taken for Upgrade, the look-alike would give http,websocket)
  const lookAlike = Buffer.from(upgradeReply.toString().replace("Upgrade: websocket", "Upgrad3: websocket"));
  assert.equal(services(upgradeAfter(Buffer.from(replies[1]), lookAlike)), [""]);
});

// HTTP/0.9: a request line without a version (a method of 3+ characters, then a URI) gets a reply
// of raw data until the server closes, never a status line (Zeek: EXPECT_REPLY_HTTP09). A URI that
// runs to the end of the line is the common case ("GET /x y" ends its URI early: it checks the 0.9
// path itself, the first two its detection). "GET HTTP/1.0" is a 1.0 request without a URI
// (Zeek's missing_HTTP_uri): its reply must be a status line, and raw data there is a violation.
test("HTTP/0.9: a request without a version is answered by raw data; GET HTTP/1.0 is not 0.9", () => {
  const raw = Buffer.from("<html>raw</html>\n");
  for (const line of ["GET /\r\n", "GET /index.html\r\n", "GET /x y\r\n"]) {
    assert.equal(services(conversation(80, [[true, Buffer.from(line)], [false, raw]])), ["http"], line);
  }
  assert.equal(services(conversation(80, [[true, Buffer.from("GET HTTP/1.0\r\n\r\n")], [false, raw]])), [""]);
});

// ---------------------------------------------------------------- SOCKS tunnels

test("SOCKS4 carrying HTTP (Zeek's tunnels/socks.pcap): socks, http, as in Zeek's baseline", () => {
  // Zeek's testing/btest/Baseline/core.tunnels.socks/conn.log: service http,socks (a set: sorted here)
  const file = join(CAPTURES, "zeek-protocols/zeek__tunnels_socks.pcap");
  if (!existsSync(file)) return noteMissingCaptures("detect.nested.test.ts: SOCKS4");
  const rows = asRows(connRecordsOf(readFileSync(file), true));
  assert.equal(rows.map((r) => r.service.split(",").sort().join(",")), ["http,socks"]);
});

test("SOCKS5 (no authentication) carrying SSH: socks, ssh; a refused SOCKS5 request: socks", () => {
  const socks5 = (reply: number, tunnelled: [boolean, Buffer][]) => conversation(1080, [
    [true, Buffer.from([5, 1, 0])], [false, Buffer.from([5, 0])],
    [true, Buffer.from([5, 1, 0, 1, 10, 0, 0, 9, 0, 22])], [false, Buffer.from([5, reply, 0, 1, 10, 0, 0, 9, 0, 22])],
    ...tunnelled]);
  const ssh: [boolean, Buffer][] = [[false, Buffer.from("SSH-2.0-OpenSSH_9.6\r\n")], [true, Buffer.from("SSH-2.0-OpenSSH_9.6\r\n")]];
  // SSH confirms at NEWKEYS: the banners enable it (signature), they do not confirm it
  const newkeys = Buffer.from([0, 0, 0, 12, 10, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(services(socks5(0, [...ssh, [true, newkeys], [false, newkeys]])), ["socks,ssh"]);
  assert.equal(services(socks5(1, [])), ["socks"]);
});

test.run();
