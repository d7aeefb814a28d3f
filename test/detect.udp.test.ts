// Detection on UDP: the analyzer its port names is attached at creation, signatures attach others.
// DNS over UDP keeps no state of its own, so its instance is a header only (registry.ts attach,
// dispatch.ts dKeepsState); an analyzer attached later in the same slot needs a full block. The
// Kerberos datagrams are real: Zeek's krb/auth.pcap, replayed here to other ports.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { asRows, connRecordsOf, servicesOf } from "./helpers/conn.js";
import { CAPTURES, HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { PcapBuilder, CLIENT_IP, SERVER_IP } from "./helpers/detect-pcap.js";
import { forEachRecord } from "../bench/lib/capture.js";

const CLIENT = CLIENT_IP, SERVER = SERVER_IP;

/** The UDP payloads of a classic Ethernet/IPv4 pcap, in order. */
function udpPayloads(pcap: Buffer): Buffer[] {
  const out: Buffer[] = [];
  forEachRecord([pcap], (frame) => {
    const f = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    const ip = f.subarray(14);
    if (f.readUInt16BE(12) !== 0x0800 || ip[9] !== 17) return;
    const udp = ip.subarray((ip[0] & 15) * 4);
    out.push(Buffer.from(udp.subarray(8, udp.readUInt16BE(4))));
  });
  return out;
}

function exchange(dport: number, request: Buffer, reply: Buffer): Buffer {
  const p = new PcapBuilder();
  p.udp(CLIENT, 50000, SERVER, dport, request);
  p.udp(SERVER, dport, CLIENT, 50000, reply);
  return p.done();
}

/** A DNS query for example.com, type A, and its answer. */
function dnsExchange(): [Buffer, Buffer] {
  const question = Buffer.concat([Buffer.from("\x07example\x03com\x00", "latin1"), Buffer.from([0, 1, 0, 1])]);
  const query = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), question]);
  const answer = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]), question,
    Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34]),
  ]);
  return [query, answer];
}

if (!HAVE_CAPTURES) {
  noteMissingCaptures("detect.udp");
} else {
  const [krbRequest, krbReply] = udpPayloads(readFileSync(join(CAPTURES, "zeek-protocols/zeek__krb_auth.pcap")));

  test("the Kerberos datagrams confirm krb on its own port", () => {
    assert.equal(servicesOf(exchange(88, krbRequest, krbReply)), ["krb"]);
  });

  test("DNS on port 53 confirms dns", () => {
    const [q, a] = dnsExchange();
    assert.equal(servicesOf(exchange(53, q, a)), ["dns"]);
  });

  test("on port 53, Kerberos kills the port's DNS instance (a header only) and its signature attaches krb in that slot, which confirms", () => {
    assert.equal(servicesOf(exchange(53, krbRequest, krbReply)), ["krb"]);
  });

  test("many such connections side by side: each confirms krb, and the DNS ones beside them dns", () => {
    const p = new PcapBuilder();
    const [q, a] = dnsExchange();
    for (let i = 0; i < 300; i++) {
      const port = 20000 + i;
      if (i % 2 === 0) {
        p.udp(CLIENT, port, SERVER, 53, krbRequest);
        p.udp(SERVER, 53, CLIENT, port, krbReply);
      } else {
        p.udp(CLIENT, port, SERVER, 53, q);
        p.udp(SERVER, 53, CLIENT, port, a);
      }
    }
    const rows = asRows(connRecordsOf(p.done(), false));
    assert.is(rows.length, 300);
    for (const r of rows) {
      const krb = (Number(r["id.orig_p"]) - 20000) % 2 === 0;
      assert.is(r.service, krb ? "krb" : "dns", `${r["id.orig_p"]}: ${r.service}`);
    }
  });
}

test.run();
