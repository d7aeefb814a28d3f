// Tunnels. Zeek decapsulates IP-in-IP (4, 41), GRE (47), and UDP tunnels (Teredo, AYIYA, VXLAN,
// Geneve, GTPv1), at most Tunnel::max_depth deep; the outer packets of IP-in-IP and GRE are not
// connections. Decapsulation comes with its own issue: for now the outer packet is skipped.
//
// When it lands: decodeIpTunnel() parses the encapsulation at p, calls setTunnelDepth(depth + 1)
// and recurses into decodeIp() (ip.ts) or decodeEthernet()/decodeEthertype() (ether.ts) with
// depth + 1 for the inner packet, which overwrites the packet view.
import { SKIP_TUNNEL_OUTER } from "../stats";

export const PROTO_IPIP: u32 = 4;
export const PROTO_IPV6: u32 = 41;
export const PROTO_GRE: u32 = 47;

// @ts-ignore: decorator
@inline export function isIpTunnel(proto: u32): bool {
  return proto == PROTO_IPIP || proto == PROTO_IPV6 || proto == PROTO_GRE;
}

/** The payload of an IP packet with protocol 4, 41 or 47. cap: captured bytes; len: from the IP header. */
export function decodeIpTunnel(proto: u32, p: usize, cap: u32, len: u32, depth: u32): i32 {
  return SKIP_TUNNEL_OUTER;
}
