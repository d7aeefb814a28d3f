// Layout of one connection record (cold data) in linear memory. The hot table (table.ts) holds
// only a fingerprint and the record's index; everything else lives here. A packet of a TCP
// connection without protocol detection touches lines 0, 1, 3 and 4 (warm.ts loads those), and a
// SYN, FIN or RST line 6 too (the endpoints' cold fields, tcp.ts): line 2 holds what only
// detection, UDP/ICMP payload counts, tunnels and services use (and, until a TCP connection's
// first payload, its SSH/FTP probe: detect/probe.ts), and line 5 the TCP history letters past the
// tenth and the missed bytes.
import { TCP_STATE_SIZE } from "./tcp";
import { UDP_STATE_SIZE } from "./udp";
import { lineStart } from "../cacheline";

export const C_ORIG_ADDR: usize = 0;     // 16 bytes
export const C_RESP_ADDR: usize = 16;    // 16 bytes
export const C_ORIG_PORT: usize = 32;    // u16
export const C_RESP_PORT: usize = 34;    // u16
export const C_PROTO: usize = 36;        // u8 IP protocol number
export const C_IPVER: usize = 37;        // u8 4 or 6
export const C_FLAGS: usize = 38;        // u8 F_*
export const C_HASH: usize = 40;         // u32 slot fingerprint of the key (to find the slot again)
export const C_TPREV: usize = 44;        // u32 previous record + 1 in its timer slot
export const C_FIRST_TS: usize = 48;     // i64 ns
export const C_LAST_TS: usize = 56;      // i64 ns
export const C_DEADLINE: usize = 64;     // i64 ns: Zeek removes the connection at this network time
export const C_QUEUED: usize = 72;       // i64: timer wheel slot the record is in (timers.ts)
export const C_SERIAL: usize = 80;       // u64 connection number in creation order (uid source)
export const C_ROW: usize = 88;          // u32 counter row + 1 (0: none)
export const C_TNEXT: usize = 92;        // u32 next record + 1 in its timer slot
export const C_ORIG_PKTS: usize = 96;    // u64
export const C_RESP_PKTS: usize = 104;   // u64
export const C_ORIG_IP_BYTES: usize = 112; // u64
export const C_RESP_IP_BYTES: usize = 120; // u64
export const C_ORIG_PAYLOAD: usize = 128;  // u64 UDP/ICMP payload bytes (conn.log orig_bytes)
/** TCP, in a run without protocol detection: an SSH/FTP probe's 12 bytes (detect/probe.ts), where
 *  other transports count payload. */
export const C_PROBE: usize = 128;
export const C_RESP_PAYLOAD: usize = 136;  // u64
export const C_TUNNEL: usize = 144;      // u64 encapsulating connection serial + 1 (0: not tunnelled)
export const C_SERVICES: usize = 152;    // 8 x u8 confirmed analyzer ids, in confirmation order (0: empty)
export const C_DETECT: usize = 160;      // u32 address of the protocol detection state (detect/), 0: none
export const C_SERVICE_ROWS: usize = 164;// 4 x u32 counter row + 1 of the first 4 services (--by service)
export const C_TUNNEL2: usize = 184;     // u64 a second encapsulating connection + 1 (tunnel_parents is a set)
export const C_TCP: usize = 192;         // transport state on a line of its own: TCP endpoints (tcp.ts) or udp.ts's
export const MAX_SERVICES: u32 = 8;
/** Services whose counter row is kept in the record; a later one's row is looked up when needed. */
export const ROW_SLOTS: u32 = 4;

/** Size of a TCP connection's record, in whole cache lines. */
export const CONN_SIZE: usize = lineStart(C_TCP + <usize>TCP_STATE_SIZE);
/** Size of any other connection's record: its transport state (udp.ts) is smaller. */
export const SHORT_SIZE: usize = lineStart(C_TCP + <usize>UDP_STATE_SIZE);

export const F_LIVE: u8 = 1;
export const F_ONE_WAY: u8 = 2;   // ICMP type without counterpart: key not canonicalised
export const F_FLIPPED: u8 = 4;   // roles were flipped (history gets ^)
export const F_DNS_TIMER: u8 = 8; // UDP on a DNS port: it ends at a tick of Zeek's DNS analyzer timer that finds it 9 s idle
export const F_DNS_SEEN: u8 = 16; // that analyzer has parsed its first message (dnsFirstMessage)
/** Another partition's connection, kept for the tunnel it may carry (table.ts flowPacket): it
 *  counts nowhere here (no rows, stats, events or records). */
export const F_SHADOW: u8 = 32;
/** C_DETECT holds detection state: asked on line 0, which every packet loads (C_DETECT's line is
 *  loaded only in runs with protocol detection, flow/warm.ts). */
export const F_DETECTING: u8 = 64;
/** C_PROBE holds a probe (detect/probe.ts): also asked on line 0. */
export const F_PROBE: u8 = 128;
// @ts-ignore: decorator
@inline export function isShadow(r: usize): bool { return (load<u8>(r + C_FLAGS) & F_SHADOW) != 0; }
