// IP tunnel ids (GRE, IP-in-IP): Zeek names such a tunnel by an encapsulation uid per tunnel type
// and (unordered) address pair, kept until Tunnel::ip_tunnel_timeout (24 h) of inactivity
// (IPTunnelAnalyzer::ip_tunnels). Here the ids count from IP_TUNNEL_BASE up, kept in an
// open-addressing table, probed linearly, keyed by (lower address, higher address, tunnel type).
// At 3/4 full the table is rebuilt without the tunnels that timed out, twice as large while more
// than half of it is live, up to IPT_MAX entries. At that size the least recently seen make room:
// the rebuild keeps the tunnels seen within the longest window (24 h, 12 h, 6 h, ...) that leaves
// at most half of it. A tunnel dropped and seen again gets a new id.
import { srcAddr, dstAddr, pktTs } from "../packet";
import { hashBytes } from "../flow/hash";
import { equal40 } from "../small";

/** Tunnel parents of IP tunnels (GRE, IP-in-IP) are IP_TUNNEL_BASE + n + 1: far above any
 *  connection serial, below 2^53 (exact in JS numbers). */
export const IP_TUNNEL_BASE: u64 = <u64>1 << 52;
const IP_TUNNEL_TIMEOUT: i64 = 24 * 3600 * 1_000_000_000;
const IPT_MIN: u32 = 1024;
const IPT_MAX: u32 = 1 << 18;  // 16 MiB: 196,608 tunnels before any makes room
const IPT_ENTRY: usize = 64;   // addrA 16, addrB 16, type u64, id u64, last seen i64, used u64
const IPT_KEY: usize = 40;     // equal40 (small.ts) compares keys
let ipTunnels: usize = 0;      // allocated at the first IP tunnel of a run
let iptMask: u32 = 0;
let iptUsed: u32 = 0;
const iptKey: usize = memory.data(<i32>IPT_KEY, 16);
let ipTunnelCount: u64 = 0;

/** Forget every IP tunnel (a new run). */
export function tunnelIdsReset(): void {
  if (ipTunnels != 0) heap.free(ipTunnels);
  ipTunnels = 0;
  ipTunnelCount = 0;
}

// @ts-ignore: decorator
@inline function iptAt(i: u32): usize { return ipTunnels + <usize>(i & iptMask) * IPT_ENTRY; }

/** The id of the IP tunnel between the view's addresses (Zeek's IPTunnelAnalyzer::ip_tunnels). */
export function ipTunnelId(type: u32): u64 {
  const swap = compare16(srcAddr, dstAddr) > 0;
  memory.copy(iptKey, swap ? dstAddr : srcAddr, 16);
  memory.copy(iptKey + 16, swap ? srcAddr : dstAddr, 16);
  store<u64>(iptKey + 32, <u64>type);
  if (ipTunnels == 0) iptAlloc(IPT_MIN);
  const h = <u32>hashBytes(iptKey, IPT_KEY);
  let e = iptProbe(h);
  if (load<u64>(e + 56) != 0) {
    // found: within the timeout the same tunnel, else (Zeek's IPTunnelTimer) a new one in its place
    if (!iptSeenWithin(e, IP_TUNNEL_TIMEOUT)) iptNew(e);
    else if (pktTs > load<i64>(e + 48)) store<i64>(e + 48, pktTs);
    return load<u64>(e + 40);
  }
  if (iptUsed + 1 > (iptMask + 1) / 4 * 3) {
    iptRebuild();
    e = iptProbe(h);
  }
  iptUsed++;
  memory.copy(e, iptKey, IPT_KEY);
  store<u64>(e + 56, 1);
  iptNew(e);
  return load<u64>(e + 40);
}

/** The entry holding iptKey, or the empty entry where its probe from h's home ends. */
function iptProbe(h: u32): usize {
  let i = h;
  while (true) {
    const e = iptAt(i++);
    if (load<u64>(e + 56) == 0 || equal40(e, iptKey)) return e;
  }
  return 0; // (unreachable: the table is never full)
}

/** A new tunnel's id in entry e, seen now. */
function iptNew(e: usize): void {
  store<u64>(e + 40, IP_TUNNEL_BASE + ipTunnelCount++);
  store<i64>(e + 48, pktTs);
}

// @ts-ignore: decorator
@inline function iptSeenWithin(e: usize, window: i64): bool {
  return load<u64>(e + 56) != 0 && load<i64>(e + 48) + window > pktTs;
}

function iptAlloc(count: u32): void {
  const size = <usize>count * IPT_ENTRY;
  ipTunnels = heap.alloc(size);
  memory.fill(ipTunnels, 0, size);
  iptMask = count - 1;
  iptUsed = 0;
}

/** Entries seen within `window` of now. */
function iptCount(window: i64): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i <= iptMask; i++) if (iptSeenWithin(iptAt(i), window)) n++;
  return n;
}

/** The table without the tunnels that timed out: twice as large if more than half is live, else
 *  (and at IPT_MAX) as large, keeping at most half of it, the tunnels seen most recently. */
function iptRebuild(): void {
  const count = iptMask + 1;
  let window = IP_TUNNEL_TIMEOUT;
  let live = iptCount(window);
  let size = count;
  if (live >= count / 2) {
    if (count < IPT_MAX) size = count * 2;
    else while (window > 1 && live >= count / 2) live = iptCount(window >>= 1);
  }
  const old = ipTunnels, oldMask = iptMask;
  iptAlloc(size);
  // (the shortest window, 1 ns, keeps the tunnels seen now: when more than half were, no window
  // splits them, and the table's order decides which stay)
  for (let j: u32 = 0; j <= oldMask && iptUsed < size / 2; j++) {
    const from = old + <usize>j * IPT_ENTRY;
    if (!iptSeenWithin(from, window)) continue;
    let i = <u32>hashBytes(from, IPT_KEY);
    while (load<u64>(iptAt(i) + 56) != 0) i++;
    memory.copy(iptAt(i), from, IPT_ENTRY);
    iptUsed++;
  }
  heap.free(old);
}

/** Lexicographic comparison of two 16-byte addresses. */
function compare16(a: usize, b: usize): i32 {
  const a0 = bswap<u64>(load<u64>(a)), b0 = bswap<u64>(load<u64>(b));
  if (a0 != b0) return a0 < b0 ? -1 : 1;
  const a1 = bswap<u64>(load<u64>(a, 8)), b1 = bswap<u64>(load<u64>(b, 8));
  if (a1 != b1) return a1 < b1 ? -1 : 1;
  return 0;
}
