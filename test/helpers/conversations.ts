// Realistic conversations for the TCP analyzers, built from the protocols' specifications (RFCs,
// MS-RDPBCGR, IEEE 1815, ...): each with its responder port, its messages [from the client?, bytes]
// and the services Zeek logs for it.

export type Msg = [boolean, Buffer];
export interface Convo { name: string; port: number; msgs: Msg[]; expect: string }

const B = (s: string) => Buffer.from(s, "latin1");
const H = (h: string) => Buffer.from(h.replace(/\s+/g, ""), "hex");
const cat = (...b: Buffer[]) => Buffer.concat(b);
const u8 = (v: number) => Buffer.from([v & 0xff]);
const be16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
const be32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
const le16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const le32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
const le24 = (v: number) => Buffer.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff]);

/** BER/DER element. */
function der(tag: number, ...content: Buffer[]): Buffer {
  const c = Buffer.concat(content);
  const len = c.length < 0x80 ? Buffer.from([c.length]) : c.length < 0x100 ? Buffer.from([0x81, c.length]) : Buffer.from([0x82, c.length >> 8, c.length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, c]);
}
const int = (v: number) => {
  const bytes: number[] = [];
  let x = v;
  do { bytes.unshift(x & 0xff); x >>= 8; } while (x > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return der(0x02, Buffer.from(bytes));
};
const octets = (s: string | Buffer) => der(0x04, typeof s === "string" ? B(s) : s);
const gstr = (s: string) => der(0x1b, B(s));
const gtime = (s: string) => der(0x18, B(s));

// ------------------------------------------------------------------ PostgreSQL (protocol 3.0)
function pgMsg(type: string, body: Buffer): Buffer { return cat(B(type), be32(body.length + 4), body); }
const cstr = (s: string) => B(s + "\0");
function postgresql(): Convo {
  const params = cat(cstr("user"), cstr("alice"), cstr("database"), cstr("shop"), cstr("application_name"), cstr("psql"), cstr("client_encoding"), cstr("UTF8"), B("\0"));
  const startup = cat(be32(params.length + 8), be32(196608), params);
  const param = (k: string, v: string) => pgMsg("S", cat(cstr(k), cstr(v)));
  const rowDesc = pgMsg("T", cat(be16(1), cstr("?column?"), be32(0), be16(0), be32(23), be16(4), be32(0xffffffff), be16(0)));
  return {
    name: "postgresql", port: 5432, expect: "postgresql",
    msgs: [
      [true, H("00000008 04d2162f")],
      [false, B("N")],
      [true, startup],
      [false, cat(pgMsg("R", be32(0)), param("application_name", "psql"), param("client_encoding", "UTF8"),
        param("DateStyle", "ISO, MDY"), param("integer_datetimes", "on"), param("server_version", "16.2"),
        param("TimeZone", "UTC"), pgMsg("K", cat(be32(4242), be32(0x12345678))), pgMsg("Z", B("I")))],
      [true, pgMsg("Q", cstr("SELECT 1;"))],
      [false, cat(rowDesc, pgMsg("D", cat(be16(1), be32(1), B("1"))), pgMsg("C", cstr("SELECT 1")), pgMsg("Z", B("I")))],
      [true, pgMsg("X", Buffer.alloc(0))],
    ],
  };
}

// ------------------------------------------------------------------ LDAP (RFC 4511)
function ldap(): Convo {
  const msg = (id: number, op: Buffer) => der(0x30, int(id), op);
  const bindReq = msg(1, der(0x60, int(3), octets("cn=admin,dc=example,dc=com"), der(0x80, B("secret"))));
  const ldapResult = (code: number) => [der(0x0a, u8(code)), octets(""), octets("")];
  const bindResp = msg(1, der(0x61, ...ldapResult(0)));
  const search = msg(2, der(0x63, octets("dc=example,dc=com"), der(0x0a, u8(2)), der(0x0a, u8(0)), int(0), int(0), der(0x01, u8(0)),
    der(0xa3, octets("uid"), octets("alice")), der(0x30, octets("cn"), octets("mail"))));
  const attr = (k: string, v: string) => der(0x30, octets(k), der(0x31, octets(v)));
  const entry = msg(2, der(0x64, octets("uid=alice,dc=example,dc=com"), der(0x30, attr("cn", "Alice Example"), attr("mail", "alice@example.com"))));
  const done = msg(2, der(0x65, ...ldapResult(0)));
  const unbind = msg(3, der(0x42, Buffer.alloc(0)));
  return { name: "ldap_tcp", port: 389, expect: "ldap_tcp", msgs: [[true, bindReq], [false, bindResp], [true, search], [false, cat(entry, done)], [true, unbind]] };
}

// ------------------------------------------------------------------ Finger (RFC 1288)
function finger(): Convo {
  return {
    name: "finger", port: 79, expect: "finger",
    msgs: [
      [true, B("alice\r\n")],
      [false, B("Login: alice                            Name: Alice Example\r\nDirectory: /home/alice                  Shell: /bin/bash\r\n" +
        "On since Mon Mar  4 09:12 (UTC) on pts/0 from 10.0.0.1\r\nNo mail.\r\nNo Plan.\r\n")],
    ],
  };
}

// ------------------------------------------------------------------ Redis (RESP2 / RESP3)
function redis(): Convo {
  const bulk = (...args: string[]) => B(`*${args.length}\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join(""));
  return {
    name: "redis", port: 6379, expect: "redis",
    msgs: [
      [true, B("PING\r\n")],
      [false, B("+PONG\r\n")],
      [true, bulk("SET", "user:1", "alice")],
      [false, B("+OK\r\n")],
      [true, bulk("GET", "user:1")],
      [false, B("$5\r\nalice\r\n")],
      [true, B("INCR visits\r\n")],
      [false, B(":1\r\n")],
      [true, bulk("LRANGE", "list", "0", "-1")],
      [false, B("*2\r\n$1\r\na\r\n$1\r\nb\r\n")],
      [true, bulk("GET", "nosuch")],
      [false, B("$-1\r\n")],
      [true, bulk("FOO")],
      [false, B("-ERR unknown command 'FOO'\r\n")],
      [true, bulk("QUIT")],
      [false, B("+OK\r\n")],
    ],
  };
}

// ------------------------------------------------------------------ HTTP / WebSocket (RFC 6455)
const upgradeRequest = B("GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Version: 13\r\n\r\n");
const upgradeReply = B("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
function wsFrame(opcode: number, fin: boolean, data: Buffer, mask?: Buffer): Buffer {
  const len = data.length;
  const m = mask ? 0x80 : 0;
  const hdr = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, m | len]) : cat(Buffer.from([(fin ? 0x80 : 0) | opcode, m | 126]), be16(len));
  return mask ? cat(hdr, mask, data.map((b, i) => b ^ mask[i % 4])) : cat(hdr, data);
}
function websocket(): Convo {
  const k1 = H("37fa213d"), k2 = H("0a1b2c3d"), k3 = H("99887766");
  return {
    name: "websocket", port: 80, expect: "http,websocket",
    msgs: [
      [true, upgradeRequest],
      [false, upgradeReply],
      [true, wsFrame(1, true, B("Hello"), k1)],
      [false, wsFrame(1, true, B("Hello back"))],
      [true, cat(wsFrame(1, false, B("part one, "), k2), wsFrame(0, true, B("part two"), k2))],
      [false, wsFrame(2, true, Buffer.alloc(200, 0x5a))],
      [true, wsFrame(8, true, cat(be16(1000), B("bye")), k3)],
      [false, wsFrame(8, true, be16(1000))],
    ],
  };
}
function http(): Convo {
  return {
    name: "http", port: 80, expect: "http",
    msgs: [
      [true, B("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")],
      [false, B("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 46\r\nConnection: keep-alive\r\n\r\n<html><body><h1>It works!</h1></body></html>\r\n")],
      [true, B("POST /form HTTP/1.1\r\nHost: www.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nname=alice\n")],
      [false, B("HTTP/1.1 302 Found\r\nLocation: /done\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nmoved\r\n0\r\n\r\n")],
    ],
  };
}

// ------------------------------------------------------------------ SIP over TCP (RFC 3261)
function sipTcp(): Convo {
  const sdp = "v=0\r\no=alice 2890844526 2890844526 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
  const via = "Via: SIP/2.0/TCP 10.0.0.1:49200;branch=z9hG4bK776asdhds\r\n";
  const common = via + "From: Alice <sip:alice@example.com>;tag=1928301774\r\nTo: Bob <sip:bob@example.com>\r\nCall-ID: a84b4c76e66710@10.0.0.1\r\n";
  return {
    name: "sip", port: 5060, expect: "-", // Zeek registers SIP for 5060/udp only, and its dpd_sip signature is ip-proto == udp
    msgs: [
      [true, B(`INVITE sip:bob@example.com SIP/2.0\r\n${common}CSeq: 314159 INVITE\r\nContact: <sip:alice@10.0.0.1;transport=tcp>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`)],
      [false, B(`SIP/2.0 100 Trying\r\n${common}CSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n`)],
      [false, B(`SIP/2.0 200 OK\r\n${common.replace("Bob <sip:bob@example.com>", "Bob <sip:bob@example.com>;tag=a6c85cf")}CSeq: 314159 INVITE\r\nContact: <sip:bob@10.0.0.2;transport=tcp>\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`)],
      [true, B(`ACK sip:bob@10.0.0.2 SIP/2.0\r\n${common}CSeq: 314159 ACK\r\nContent-Length: 0\r\n\r\n`)],
    ],
  };
}

// ------------------------------------------------------------------ RFB (RFC 6143)
function rfb(): Convo {
  const pixfmt = H("20 18 00 01 00ff 00ff 00ff 10 08 00 000000");
  return {
    name: "rfb", port: 5900, expect: "rfb",
    msgs: [
      [false, B("RFB 003.008\n")],
      [true, B("RFB 003.008\n")],
      [false, H("01 02")],
      [true, H("02")],
      [false, Buffer.alloc(16, 0xa5)],
      [true, Buffer.alloc(16, 0x3c)],
      [false, be32(0)],
      [true, H("01")],
      [false, cat(be16(1024), be16(768), pixfmt, be32(7), B("desktop"))],
      [true, cat(H("00 000000"), pixfmt)],
      [true, cat(H("02 00"), be16(3), be32(0), be32(1), be32(0xffffff21))],
      [true, cat(H("03 00"), be16(0), be16(0), be16(1024), be16(768))],
    ],
  };
}

// ------------------------------------------------------------------ RDP (MS-RDPBCGR)
function tpkt(x224: Buffer): Buffer { return cat(H("03 00"), be16(x224.length + 4), x224); }
function rdp(selected: number): Convo {
  const cookie = B("Cookie: mstshash=alice\r\n");
  const negReq = cat(H("01 00 0800"), le32(selected === 0 ? 0 : 3));
  const cr = tpkt(cat(u8(6 + cookie.length + negReq.length), H("e0 0000 0000 00"), cookie, negReq));
  const cc = tpkt(cat(H("0e d0 0000 1234 00"), H("02 00 0800"), le32(selected)));
  // Client Core Data (216 bytes), Security, Network
  const core = cat(le16(0xc001), le16(216), le32(0x00080004), le16(1280), le16(800), le16(0xca01), le16(0xaa03), le32(0x409), le32(2600),
    Buffer.concat([Buffer.from("WKST01", "utf16le"), Buffer.alloc(32 - 12)]), le32(4), le32(0), le32(12), Buffer.alloc(64),
    le16(0xca01), le16(1), le32(0), le16(24), le16(7), le16(1), Buffer.alloc(64), u8(0), u8(0), le32(0));
  const sec = cat(le16(0xc002), le16(12), le32(0x1b), le32(0));
  const net = cat(le16(0xc003), le16(20), le32(1), B("rdpdr\0\0\0"), le32(0x80800000));
  const blocks = cat(core, sec, net);
  const per = (n: number) => be16(0x8000 | n);
  const gccCreate = cat(H("00 08 00 10 00 01 c0 00"), B("Duca"), per(blocks.length), blocks);
  const gcc = cat(H("00 05 00 14 7c 00 01"), per(gccCreate.length), gccCreate);
  const params = (a: number[]) => der(0x30, ...a.map((v) => int(v)));
  const ciBody = cat(octets(Buffer.from([1])), octets(Buffer.from([1])), der(0x01, u8(0xff)),
    params([34, 2, 0, 1, 0, 1, 0xffff, 2]), params([1, 1, 1, 1, 0, 1, 0x420, 2]), params([0xffff, 0xfc17, 0xffff, 1, 0, 1, 0xffff, 2]),
    cat(H("04 82"), be16(gcc.length), gcc));
  const connectInitial = cat(H("7f 65 82"), be16(ciBody.length), ciBody);
  const msgs: Msg[] = [[true, cr], [false, cc]];
  if (selected === 0) {
    msgs.push([true, tpkt(cat(H("02 f0 80"), connectInitial))]);
    // Connect-Response with GCC Conference Create Response and server core/security/network data
    const sblocks = cat(le16(0x0c01), le16(12), le32(0x00080004), le32(0), le16(0x0c02), le16(12), le32(0), le32(0),
      le16(0x0c03), le16(8), le16(1003), le16(0));
    const gccResp = cat(H("00 05 00 14 7c 00 01 2a 14 76 0a 01 01 00 01 c0 00"), B("McDn"), per(sblocks.length), sblocks);
    const crBody = cat(der(0x0a, u8(0)), int(0), params([34, 3, 0, 1, 0, 1, 0xfff8, 2]), cat(H("04 82"), be16(gccResp.length), gccResp));
    msgs.push([false, tpkt(cat(H("02 f0 80"), H("7f 66 82"), be16(crBody.length), crBody))]);
  } else {
    msgs.push([true, tlsClientHello("rdp.example.com")], [false, tlsServerFlight()]);
  }
  return { name: selected === 0 ? "rdp" : "rdp-tls", port: 3389, expect: selected === 0 ? "rdp" : "ssl" /* Zeek confirms RDP only at Client Core Data / GCC response / server security, all inside TLS here */, msgs };
}

// ------------------------------------------------------------------ TLS 1.2 (RFC 5246)
function record(type: number, body: Buffer, version = 0x0303): Buffer { return cat(u8(type), be16(version), be16(body.length), body); }
function hs(type: number, body: Buffer): Buffer { return cat(u8(type), Buffer.from([(body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]), body); }
function ext(type: number, body: Buffer): Buffer { return cat(be16(type), be16(body.length), body); }
export function tlsClientHello(sni = "www.example.com"): Buffer {
  const name = B(sni);
  const exts = cat(
    ext(0, cat(be16(name.length + 3), u8(0), be16(name.length), name)),
    ext(10, cat(be16(6), be16(0x001d), be16(0x0017), be16(0x0018))),
    ext(11, H("01 00")),
    ext(13, cat(be16(8), H("0403 0804 0401 0201"))),
    ext(16, cat(be16(12), u8(2), B("h2"), u8(8), B("http/1.1"))),
    ext(23, Buffer.alloc(0)),
    ext(0xff01, H("00")),
  );
  const suites = H("c02b c02f c02c c030 cca9 cca8 009c 009d 002f 0035");
  const body = cat(H("0303"), Buffer.alloc(32, 0x42), u8(32), Buffer.alloc(32, 0x17), be16(suites.length), suites, H("01 00"), be16(exts.length), exts);
  return record(0x16, hs(1, body), 0x0301);
}
export function tlsServerFlight(): Buffer {
  const exts = cat(ext(0xff01, H("00")), ext(11, H("01 00")), ext(23, Buffer.alloc(0)));
  const sh = hs(2, cat(H("0303"), Buffer.alloc(32, 0x61), u8(32), Buffer.alloc(32, 0x17), H("c02f 00"), be16(exts.length), exts));
  const certDer = der(0x30, der(0x30, der(0xa0, int(2)), int(0x1234), der(0x30, der(0x06, H("2a864886f70d01010b")), der(0x05, Buffer.alloc(0)))), Buffer.alloc(300, 0x11));
  const certs = cat(Buffer.from([0, (certDer.length >> 8) & 0xff, certDer.length & 0xff]), certDer);
  const cert = hs(11, cat(Buffer.from([0, (certs.length >> 8) & 0xff, certs.length & 0xff]), certs));
  const ske = hs(12, cat(H("03 001d 20"), Buffer.alloc(32, 0x33), H("0401"), be16(64), Buffer.alloc(64, 0x44)));
  const done = hs(14, Buffer.alloc(0));
  return record(0x16, cat(sh, cert, ske, done));
}
function ssl(): Convo {
  return {
    name: "ssl", port: 443, expect: "ssl",
    msgs: [
      [true, tlsClientHello()],
      [false, tlsServerFlight()],
      [true, cat(record(0x16, hs(16, cat(u8(32), Buffer.alloc(32, 0x55)))), record(0x14, H("01")), record(0x16, Buffer.alloc(40, 0x66)))],
      [false, cat(record(0x14, H("01")), record(0x16, Buffer.alloc(40, 0x77)))],
      [true, record(0x17, Buffer.alloc(100, 0x88))],
      [false, record(0x17, Buffer.alloc(250, 0x99))],
      [true, record(0x15, Buffer.alloc(26, 0xaa))],
    ],
  };
}

// ------------------------------------------------------------------ MySQL (client/server protocol)
function mysqlPkt(seq: number, payload: Buffer): Buffer { return cat(le24(payload.length), u8(seq), payload); }
function mysql(): Convo {
  const salt1 = B("abcdefgh"), salt2 = B("ijklmnopqrst\0");
  const caps = 0xdfffffff & ~0x0800; // everything but CLIENT_SSL
  const greeting = mysqlPkt(0, cat(u8(10), cstr("8.0.36"), le32(12), salt1, u8(0), le16(caps & 0xffff), u8(255), le16(2), le16(caps >>> 16),
    u8(21), Buffer.alloc(10), salt2, cstr("caching_sha2_password")));
  const ccaps = 0x01 | 0x04 | 0x08 | 0x200 | 0x8000 | 0x80000 | 0x200000;
  const login = mysqlPkt(1, cat(le32(ccaps), le32(16777216), u8(255), Buffer.alloc(23), cstr("root"), u8(32), Buffer.alloc(32, 0x21), cstr("test"), cstr("caching_sha2_password")));
  const coldef = cat(u8(3), B("def"), u8(0), u8(0), u8(0), u8(23), B("@@version_comment"), u8(0), u8(0x0c), le16(255), le32(112), u8(0xfd), le16(0), u8(0x27), le16(0));
  return {
    name: "mysql", port: 3306, expect: "mysql",
    msgs: [
      [false, greeting],
      [true, login],
      [false, cat(mysqlPkt(2, H("01 03")), mysqlPkt(3, H("00 00 00 02 00 00 00")))],
      [true, mysqlPkt(0, cat(u8(3), B("select @@version_comment limit 1")))],
      [false, cat(mysqlPkt(1, u8(1)), mysqlPkt(2, coldef), mysqlPkt(3, H("fe 0000 0200")), mysqlPkt(4, cat(u8(28), B("MySQL Community Server - GPL"))), mysqlPkt(5, H("fe 0000 0200")))],
      [true, mysqlPkt(0, u8(1))],
    ],
  };
}

// ------------------------------------------------------------------ DNP3 (IEEE 1815)
function crcDnp(b: Buffer): number {
  let crc = 0;
  for (const x of b) { crc ^= x; for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa6bc : crc >>> 1; }
  return ~crc & 0xffff;
}
function dnp3Frame(ctrl: number, dst: number, src: number, user: Buffer): Buffer {
  const head = cat(H("05 64"), u8(5 + user.length), u8(ctrl), le16(dst), le16(src));
  const parts = [head, le16(crcDnp(head))];
  for (let i = 0; i < user.length; i += 16) { const blk = user.subarray(i, i + 16); parts.push(blk, le16(crcDnp(blk))); }
  return cat(...parts);
}
function dnp3(): Convo {
  return {
    name: "dnp3_tcp", port: 20000, expect: "dnp3_tcp",
    msgs: [
      [true, dnp3Frame(0xc4, 1, 3, H("c0 c0 01 3c 02 06 3c 03 06 3c 04 06 3c 01 06"))],
      [false, dnp3Frame(0x44, 3, 1, H("c0 c0 81 00 00 1e 02 00 00 01 01 00 00 00 00 01 2a 00 00 00 01 02 00 00 03 01 01 81 01"))],
      [true, dnp3Frame(0xc4, 1, 3, H("c1 c1 02 32 01 07 01 00 00 00 00 00 00"))],
      [false, dnp3Frame(0x44, 3, 1, H("c1 c1 81 00 00"))],
    ],
  };
}

// ------------------------------------------------------------------ Modbus/TCP
function mbap(tid: number, unit: number, pdu: Buffer): Buffer { return cat(be16(tid), be16(0), be16(pdu.length + 1), u8(unit), pdu); }
function modbus(): Convo {
  return {
    name: "modbus", port: 502, expect: "modbus",
    msgs: [
      [true, mbap(1, 1, H("03 0000 000a"))],
      [false, mbap(1, 1, cat(H("03 14"), Buffer.from([...Array(20).keys()])))],
      [true, mbap(2, 1, H("10 0010 0002 04 000a 0102"))],
      [false, mbap(2, 1, H("10 0010 0002"))],
      [true, mbap(3, 1, H("01 0000 0013"))],
      [false, mbap(3, 1, H("01 03 cd 6b 05"))],
      [true, mbap(4, 1, H("05 00ac ff00"))],
      [false, mbap(4, 1, H("05 00ac ff00"))],
    ],
  };
}

// ------------------------------------------------------------------ IRC, POP3, FTP, SMTP
const lines = (...l: string[]) => B(l.map((x) => x + "\r\n").join(""));
function irc(): Convo {
  return {
    name: "irc", port: 6667, expect: "irc",
    msgs: [
      [false, lines(":irc.example.net NOTICE * :*** Looking up your hostname...")],
      [true, lines("NICK bob", "USER bob 0 * :Bob Example")],
      [false, lines(":irc.example.net 001 bob :Welcome to the Example IRC Network bob!bob@10.0.0.1", ":irc.example.net 002 bob :Your host is irc.example.net",
        ":irc.example.net 003 bob :This server was created today", ":irc.example.net 004 bob irc.example.net ircd-2.0 iow ntk",
        ":irc.example.net 375 bob :- irc.example.net Message of the Day -", ":irc.example.net 372 bob :- hello", ":irc.example.net 376 bob :End of /MOTD command.")],
      [true, lines("JOIN #zeek")],
      [false, lines(":bob!bob@10.0.0.1 JOIN #zeek", ":irc.example.net 353 bob = #zeek :bob @alice", ":irc.example.net 366 bob #zeek :End of /NAMES list.")],
      [true, lines("PRIVMSG #zeek :hello everyone")],
      [false, lines(":alice!alice@10.0.0.9 PRIVMSG #zeek :hi bob")],
      [true, lines("QUIT :bye")],
      [false, lines("ERROR :Closing Link: 10.0.0.1 (Quit: bye)")],
    ],
  };
}
function pop3(): Convo {
  return {
    name: "pop3", port: 110, expect: "pop3",
    msgs: [
      [false, lines("+OK POP3 server ready <1896.697170952@example.com>")],
      [true, lines("CAPA")],
      [false, lines("+OK Capability list follows", "USER", "UIDL", "TOP", ".")],
      [true, lines("USER alice")], [false, lines("+OK")],
      [true, lines("PASS secret")], [false, lines("+OK maildrop has 1 message (120 octets)")],
      [true, lines("STAT")], [false, lines("+OK 1 120")],
      [true, lines("RETR 1")],
      [false, lines("+OK 120 octets", "From: bob@example.com", "To: alice@example.com", "Subject: hi", "", "Hello Alice,", "..dot-stuffed line", "Bob", ".")],
      [true, lines("DELE 1")], [false, lines("+OK message 1 deleted")],
      [true, lines("QUIT")], [false, lines("+OK bye")],
    ],
  };
}
function ftp(): Convo {
  return {
    name: "ftp", port: 21, expect: "ftp",
    msgs: [
      [false, lines("220 (vsFTPd 3.0.5)")],
      [true, lines("USER anonymous")], [false, lines("331 Please specify the password.")],
      [true, lines("PASS guest@example.com")], [false, lines("230 Login successful.")],
      [true, lines("SYST")], [false, lines("215 UNIX Type: L8")],
      [true, lines("FEAT")], [false, lines("211-Features:", " EPRT", " EPSV", " PASV", " SIZE", "211 End")],
      [true, lines("PASV")], [false, lines("227 Entering Passive Mode (10,0,0,2,195,80).")],
      [true, lines("RETR readme.txt")], [false, lines("150 Opening BINARY mode data connection for readme.txt (42 bytes).", "226 Transfer complete.")],
      [true, lines("QUIT")], [false, lines("221 Goodbye.")],
    ],
  };
}
function smtp(): Convo {
  return {
    name: "smtp", port: 25, expect: "smtp",
    msgs: [
      [false, lines("220 mx.example.com ESMTP Postfix")],
      [true, lines("EHLO client.example.org")],
      [false, lines("250-mx.example.com", "250-PIPELINING", "250-SIZE 10240000", "250-8BITMIME", "250 SMTPUTF8")],
      [true, lines("MAIL FROM:<alice@example.org>")], [false, lines("250 2.1.0 Ok")],
      [true, lines("RCPT TO:<bob@example.com>")], [false, lines("250 2.1.5 Ok")],
      [true, lines("DATA")], [false, lines("354 End data with <CR><LF>.<CR><LF>")],
      [true, lines("From: alice@example.org", "To: bob@example.com", "Subject: test", "", "Hello Bob.", "..", ".")],
      [false, lines("250 2.0.0 Ok: queued as 12345")],
      [true, lines("QUIT")], [false, lines("221 2.0.0 Bye")],
    ],
  };
}

// ------------------------------------------------------------------ SSH 2.0 (RFC 4253)
function sshPacket(payload: Buffer): Buffer {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  return cat(be32(1 + payload.length + pad), u8(pad), payload, Buffer.alloc(pad));
}
const sshStr = (b: Buffer | string) => { const x = typeof b === "string" ? B(b) : b; return cat(be32(x.length), x); };
function ssh(): Convo {
  const kexinit = (cookie: number) => sshPacket(cat(u8(20), Buffer.alloc(16, cookie),
    sshStr("curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c"),
    sshStr("ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512"), sshStr("chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com"),
    sshStr("chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com"), sshStr("umac-64-etm@openssh.com,hmac-sha2-256"),
    sshStr("umac-64-etm@openssh.com,hmac-sha2-256"), sshStr("none,zlib@openssh.com"), sshStr("none,zlib@openssh.com"), sshStr(""), sshStr(""), u8(0), be32(0)));
  const hostKey = cat(sshStr("ssh-ed25519"), sshStr(Buffer.alloc(32, 0x2b)));
  const sig = cat(sshStr("ssh-ed25519"), sshStr(Buffer.alloc(64, 0x3c)));
  return {
    name: "ssh", port: 22, expect: "ssh",
    msgs: [
      [true, B("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n")],
      [false, B("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n")],
      [true, kexinit(0x11)],
      [false, kexinit(0x22)],
      [true, sshPacket(cat(u8(30), sshStr(Buffer.alloc(32, 0x44))))],
      [false, cat(sshPacket(cat(u8(31), sshStr(hostKey), sshStr(Buffer.alloc(32, 0x55)), sshStr(sig))), sshPacket(u8(21)))],
      [true, sshPacket(u8(21))],
      [true, Buffer.alloc(64, 0x66)],
      [false, Buffer.alloc(48, 0x77)],
    ],
  };
}

// ------------------------------------------------------------------ Kerberos over TCP (RFC 4120)
function krb(): Convo {
  const ctx = (n: number, ...c: Buffer[]) => der(0xa0 + n, ...c);
  const principal = (type: number, ...names: string[]) => der(0x30, ctx(0, int(type)), ctx(1, der(0x30, ...names.map(gstr))));
  const body = der(0x30, ctx(0, der(0x03, H("00 40810010"))), ctx(1, principal(1, "alice")), ctx(2, gstr("EXAMPLE.COM")),
    ctx(3, principal(2, "krbtgt", "EXAMPLE.COM")), ctx(5, gtime("20370913024805Z")), ctx(6, gtime("20370913024805Z")), ctx(7, int(0x1a2b3c4d)),
    ctx(8, der(0x30, int(18), int(17), int(23))));
  const asReq = (padata?: Buffer) => der(0x6a, der(0x30, ctx(1, int(5)), ctx(2, int(10)), ...(padata ? [ctx(3, padata)] : []), ctx(4, body)));
  const encData = (etype: number, n: number) => der(0x30, ctx(0, int(etype)), ctx(1, int(2)), ctx(2, octets(Buffer.alloc(n, 0x5e))));
  const etypeInfo2 = octets(der(0x30, der(0x30, ctx(0, int(18)))));
  const eData = der(0x30, der(0x30, ctx(1, int(2)), ctx(2, octets(""))), der(0x30, ctx(1, int(19)), ctx(2, etypeInfo2)));
  const err = der(0x7e, der(0x30, ctx(0, int(5)), ctx(1, int(30)), ctx(4, gtime("20240304091200Z")), ctx(5, int(123456)), ctx(6, int(25)),
    ctx(9, gstr("EXAMPLE.COM")), ctx(10, principal(2, "krbtgt", "EXAMPLE.COM")),
    ctx(12, octets(eData))));
  const padata = der(0x30, der(0x30, ctx(1, int(2)), ctx(2, octets(encData(18, 56)))));
  const ticket = der(0x61, der(0x30, ctx(0, int(5)), ctx(1, gstr("EXAMPLE.COM")), ctx(2, principal(2, "krbtgt", "EXAMPLE.COM")), ctx(3, encData(18, 180))));
  const asRep = der(0x6b, der(0x30, ctx(0, int(5)), ctx(1, int(11)), ctx(3, gstr("EXAMPLE.COM")), ctx(4, principal(1, "alice")), ctx(5, ticket), ctx(6, encData(18, 120))));
  const framed = (m: Buffer) => cat(be32(m.length), m);
  return { name: "krb_tcp", port: 88, expect: "krb_tcp", msgs: [[true, framed(asReq())], [false, framed(err)], [true, framed(asReq(padata))], [false, framed(asRep)]] };
}

// ------------------------------------------------------------------ DCE-RPC (C706, MS-RPCE)
function dcerpc(): Convo {
  const pdu = (ptype: number, call: number, body: Buffer, flags = 3) => {
    const h = Buffer.alloc(16);
    h[0] = 5; h[1] = 0; h[2] = ptype; h[3] = flags; h[4] = 0x10;
    h.writeUInt16LE(16 + body.length, 8); h.writeUInt16LE(0, 10); h.writeUInt32LE(call, 12);
    return cat(h, body);
  };
  const uuid = (s: string) => { const x = H(s.replace(/-/g, "")); return cat(Buffer.from(x.subarray(0, 4)).reverse(), Buffer.from(x.subarray(4, 6)).reverse(), Buffer.from(x.subarray(6, 8)).reverse(), x.subarray(8)); };
  const epm = cat(uuid("e1af8308-5d1f-11c9-91a4-08002b14a0fa"), le16(3), le16(0));
  const ndr = cat(uuid("8a885d04-1ceb-11c9-9fe8-08002b104860"), le32(2));
  const bind = pdu(11, 2, cat(le16(5840), le16(5840), le32(0), u8(1), u8(0), le16(0), le16(0), u8(1), u8(0), epm, ndr));
  const sec = cat(le16(4), B("135\0"));
  const bindAck = pdu(12, 2, cat(le16(5840), le16(5840), le32(0x1234), sec, Buffer.alloc((4 - ((24 + sec.length) % 4)) % 4), u8(1), Buffer.alloc(3), le16(0), le16(0), ndr));
  const req = pdu(0, 3, cat(le32(76), le16(0), le16(3), Buffer.alloc(76, 0)));
  const resp = pdu(2, 3, cat(le32(40), le16(0), u8(0), u8(0), Buffer.alloc(40, 0)));
  return { name: "dce_rpc", port: 135, expect: "dce_rpc", msgs: [[true, bind], [false, bindAck], [true, req], [false, resp]] };
}

// ------------------------------------------------------------------ DNS over TCP (RFC 1035, 7766)
function dns(): Convo {
  const name = (n: string) => cat(...n.split(".").map((l) => cat(u8(l.length), B(l))), u8(0));
  const q = (id: number, n: string, type: number) => cat(be16(id), H("0120 0001 0000 0000 0001"), name(n), be16(type), be16(1), H("0000 2910 0000 0000 0000"));
  const r = (id: number, n: string) => cat(be16(id), H("8180 0001 0002 0000 0000"), name(n), be16(1), be16(1),
    H("c00c 0005 0001 00000e10"), be16(name("web.example.com").length), name("web.example.com"),
    H("c00c 0001 0001 00000e10 0004 5db8d822"));
  const framed = (m: Buffer) => cat(be16(m.length), m);
  return {
    name: "dns", port: 53, expect: "dns",
    msgs: [[true, framed(q(0x1234, "www.example.com", 1))], [false, framed(r(0x1234, "www.example.com"))],
      [true, cat(framed(q(0x1235, "example.com", 15)), framed(q(0x1236, "example.com", 16)))]],
  };
}

// ------------------------------------------------------------------ Syslog over TCP (RFC 6587)
function syslogTcp(): Convo {
  const counted = (m: string) => B(`${m.length} ${m}`);
  return {
    name: "syslog_tcp", port: 514, expect: "syslog_tcp",
    msgs: [
      [true, B("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8\n")],
      [true, counted("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - An application event")],
    ],
  };
}

export function conversations(): Convo[] {
  return [postgresql(), ldap(), finger(), redis(), websocket(), sipTcp(), rfb(), rdp(0), rdp(1), mysql(), dnp3(), modbus(), irc(), pop3(), ftp(),
    ssh(), krb(), dcerpc(), smtp(), ssl(), dns(), http(), syslogTcp()];
}
