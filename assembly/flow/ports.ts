// Zeek's default likely_server_ports (base scripts, 73 ports): decides the roles of a connection
// whose first packet is not a bare SYN. One bit per port, separate sets for TCP and UDP.

const TCP_PORTS: StaticArray<u16> = [
  21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563, 585, 587, 614,
  631, 636, 989, 990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223,
  5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
];
const UDP_PORTS: StaticArray<u16> = [
  53, 67, 88, 123, 137, 161, 162, 389, 443, 514, 1812, 2123, 2152, 3389, 3544, 4011, 4754, 4789,
  5060, 5072, 5353, 5355, 6081, 20000,
];

const tcpBits: usize = memory.data(8192);
const udpBits: usize = memory.data(8192);
let ready = false;

function setBit(bits: usize, port: u32): void {
  const p = bits + (port >> 3);
  store<u8>(p, load<u8>(p) | <u8>(<u32>1 << (port & 7)));
}

function prepare(): void {
  for (let i = 0; i < TCP_PORTS.length; i++) setBit(tcpBits, TCP_PORTS[i]);
  for (let i = 0; i < UDP_PORTS.length; i++) setBit(udpBits, UDP_PORTS[i]);
  ready = true;
}

/** Is port/proto in likely_server_ports? proto is the IP protocol number (6 or 17). */
export function isLikelyServerPort(port: u32, proto: u32): bool {
  if (!ready) prepare();
  const bits = proto == 6 ? tcpBits : proto == 17 ? udpBits : 0;
  if (bits == 0) return false;
  return ((load<u8>(bits + ((port & 0xffff) >> 3)) >> (port & 7)) & 1) != 0;
}
