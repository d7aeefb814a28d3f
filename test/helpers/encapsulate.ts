// A real capture with every frame carried in another encapsulation, as a sensor on a trunk, a
// provider's core or a cloud overlay sees the same traffic (test/encapsulated.test.ts):
// - on an Ethernet link: an 802.1Q tag, 802.1ad + 802.1Q tags, an MPLS label, a PPPoE session
//   (frames of other link types are copied);
// - in an IP tunnel (IP-in-IP, GRE) or a UDP tunnel (VXLAN, Geneve, GTP-U) between two addresses
//   of TEST-NET-2, which no reference capture uses, under the frame's own link header. VXLAN and
//   Geneve carry an Ethernet frame (the frame itself, or its IP packet behind a made-up Ethernet
//   header), the others the frame's IP packet.
// A frame captured in part, too long for an outer IPv4 packet, or that the encapsulation cannot
// carry is copied as it is. So is a Cisco FabricPath frame put behind a VLAN tag (Zeek's Ethernet
// analyzer skips FabricPath's header, but after a VLAN tag ethertype 0x8903 is decoded by none),
// and every frame of a capture that already carries GTP put in GTP (below).
import { checksum } from "./packets.js";
import { rewriteFrames, ipPacket, announceIp, type Rewritten } from "./rewrite-frames.js";

export type Encapsulation = "vlan" | "qinq" | "mpls" | "pppoe" | "ipip" | "gre" | "vxlan" | "geneve" | "gtp";

/** The outer addresses of the tunnels, and the UDP tunnels' ports (Zeek's). */
export const OUTER_SRC = "198.51.100.1", OUTER_DST = "198.51.100.2";
export const UDP_TUNNEL_PORT: Partial<Record<Encapsulation, number>> = { vxlan: 4789, geneve: 6081, gtp: 2152 };
export const OUTER_SPORT = 50000;

/** The capture with its frames encapsulated; `rewritten` counts them, `frames` all its frames. */
export function encapsulate(capture: Buffer, how: Encapsulation): Rewritten {
  if (how === "gtp" && carriesGtp(capture)) return rewriteFrames(capture, () => null);
  let id = 0;
  return rewriteFrames(capture, (link, f, le) => {
    const out = encapsulateFrame(link, f, how, le, () => id++ & 0xffff);
    return out ? [out] : null;
  });
}

/** Does a frame carry GTP (UDP to or from port 2152 or 2123)? Zeek refuses GTP directly inside
 *  GTP (GTP_tunnel_within_GTP_tunnel), so such a capture is copied rather than put in GTP. */
function carriesGtp(capture: Buffer): boolean {
  let found = false;
  rewriteFrames(capture, (link, f, le) => {
    const d = ipPacket(link, f, le, { sameLength: true });
    if (d && d.proto === 17 && d.payload + 4 <= d.end && [f.readUInt16BE(d.payload), f.readUInt16BE(d.payload + 2)].some((p) => p === 2152 || p === 2123)) found = true;
    return null;
  });
  return found;
}

const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
const ETHERTYPE_OF_VERSION: Record<number, number> = { 4: 0x0800, 6: 0x86dd };

function encapsulateFrame(link: number, f: Buffer, how: Encapsulation, le: boolean, nextId: () => number): Buffer | null {
  const ethernet = link === 1 && f.length >= 14;
  if (how === "vlan" || how === "qinq") {
    if (!ethernet || f.readUInt16BE(12) === 0x8903) return null;
    const tags = how === "vlan" ? [u16(0x8100), u16(42)] : [u16(0x88a8), u16(7), u16(0x8100), u16(42)];
    return Buffer.concat([f.subarray(0, 12), ...tags, f.subarray(12)]);
  }
  const d = ipPacket(link, f, le, { sameLength: true });
  // the outer packet's link header: for Ethernet a plain one (no tags or PPPoE of the frame's),
  // for the others the frame's own up to its IP header
  const outer = ethernet ? Buffer.concat([f.subarray(0, 12), u16(0x0800)]) : d && announceIp(link, Buffer.from(f.subarray(0, d.ip)), le, 4);
  if (!outer) return null;
  if (how === "vxlan" || how === "geneve") {
    const inner = ethernet ? f : d ? Buffer.concat([Buffer.alloc(12), u16(ETHERTYPE_OF_VERSION[d.version]), f.subarray(d.ip, d.end)]) : null;
    if (!inner) return null;
    const header = how === "vxlan" ? [u32(0x08000000), u32(42 << 8)] : [u16(0), u16(0x6558), u32(42 << 8)]; // I flag; no options
    return withOuterUdp(outer, how, Buffer.concat([...header, inner]), nextId());
  }
  if (!d) return null;
  const inner = f.subarray(d.ip, d.end);
  switch (how) {
    case "mpls": // one label, bottom of stack: Zeek reads the IP version from the first nibble
      return ethernet ? Buffer.concat([f.subarray(0, 12), u16(0x8847), u32((100 << 12) | (1 << 8) | 64), inner]) : null;
    case "pppoe": // version 1, type 1, session data, session 1; PPP's protocol counts in its length
      return ethernet ? Buffer.concat([f.subarray(0, 12), u16(0x8864), u16(0x1100), u16(1), u16(2 + inner.length), u16(d.version === 4 ? 0x0021 : 0x0057), inner]) : null;
    case "ipip":
      return withOuterIp(outer, d.version === 4 ? 4 : 41, inner, nextId());
    case "gre": // no checksum, key or sequence number; version 0
      return withOuterIp(outer, 47, Buffer.concat([u16(0), u16(ETHERTYPE_OF_VERSION[d.version]), inner]), nextId());
    case "gtp": // GTPv1, a G-PDU of the packet's length, TEID 42
      return withOuterUdp(outer, how, Buffer.concat([Buffer.from([0x30, 0xff]), u16(inner.length), u32(42), inner]), nextId());
  }
  return null;
}

/** The outer IPv4 packet, under `linkHeader`. */
function withOuterIp(linkHeader: Buffer, proto: number, payload: Buffer, id: number): Buffer | null {
  if (20 + payload.length > 0xffff) return null;
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(id, 4);
  h.writeUInt16BE(0x4000, 6); // don't fragment
  h[8] = 64;
  h[9] = proto;
  Buffer.from(OUTER_SRC.split(".").map(Number)).copy(h, 12);
  Buffer.from(OUTER_DST.split(".").map(Number)).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([linkHeader, h, payload]);
}

/** UDP to the tunnel's port, without a checksum (0: none, as tunnel endpoints send it). */
function withOuterUdp(linkHeader: Buffer, how: Encapsulation, payload: Buffer, id: number): Buffer | null {
  const udp = Buffer.concat([u16(OUTER_SPORT), u16(UDP_TUNNEL_PORT[how]!), u16(8 + payload.length), u16(0), payload]);
  return withOuterIp(linkHeader, 17, udp, id);
}
