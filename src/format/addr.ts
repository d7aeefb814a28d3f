// Address and port text as Zeek prints them: dotted IPv4, IPv6 as zeek_inet_ntop6 (RFC 5952's
// compression, some IPv4 tails dotted), "80/tcp".

export const TRANSPORTS = ["", "tcp", "udp", "icmp", "unknown_transport"] as const;
/** Zeek's port suffix per transport: unknown transports print as "/unknown". */
const PORT_SUFFIX = ["", "tcp", "udp", "icmp", "unknown"];

/** Are the 16 address bytes IPv4-mapped (::ffff:0:0/96)? Then they are an IPv4 address, even in
 *  an IPv6 header, as Zeek's IPAddr has it (its family follows from the prefix). */
export function isMapped4(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false;
  return b[off + 10] === 0xff && b[off + 11] === 0xff;
}

/** 16 address bytes (IPv4-mapped for family 4) as text: dotted when IPv4-mapped (isMapped4). */
export function formatAddr(family: number, b: Uint8Array, off: number): string {
  if (family === 4 || isMapped4(b, off)) return `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  // RFC 5952: the longest run (>= 2) of zero words becomes "::", the first such run on a tie
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  // Zeek's zeek_inet_ntop6 writes the last 32 bits dotted after a leading run of zeros: IPv4-
  // compatible (::1.2.3.4), all but the last word zero (::0.0.0.2, but ::1), IPv4-translated
  // (::ffff:0:1.2.3.4); its IPv4-mapped case never comes here (isMapped4 above)
  const dotted = `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 7 && words[7] !== 1))) return `::${dotted}`;
  if (bestStart === 0 && bestLen === 4 && words[4] === 0xffff && words[5] === 0) return `::ffff:0:${dotted}`;
  if (bestLen < 2) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

export function zeekPort(port: number, transport: number): string {
  return `${port}/${PORT_SUFFIX[transport] ?? "unknown"}`;
}
