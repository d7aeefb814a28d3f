// The plain-Node programs the CLI benchmark runs as whole commands (`node -e SOURCE FILE`), so
// they pay no TypeScript loader: what a Node user would write without zk-stream.

/**
 * The floor of any Node program: open the file (or stdin with "-"), fs.readSync it in 1 MiB
 * pieces, print the byte count. No parsing.
 */
export const READ_LOOP = String.raw`
const fs = require("node:fs");
const name = process.argv[1];
const fd = name === "-" ? 0 : fs.openSync(name, "r");
const buf = Buffer.allocUnsafe(1 << 20);
let total = 0;
for (;;) {
  let n;
  try { n = fs.readSync(fd, buf, 0, buf.length, null); }
  catch (e) { if (e.code === "EAGAIN") continue; if (e.code === "EOF") break; throw e; }
  if (n === 0) break;
  total += n;
}
console.log(total);
`;

/**
 * The pcap-parser package (a path to it is the first argument) and a Map: packets per source IP
 * address (Ethernet, one VLAN tag, IPv4 and IPv6), then the ten largest counts. This counts
 * packets per source, which is less work than connections per source (no flow table, no Zeek
 * roles or timers): a lower bound on what the same answer would cost in plain JavaScript.
 */
export const PCAP_PARSER_MAP = String.raw`
const pcapp = require(process.argv[1]);
const counts = new Map();
let packets = 0;
const parser = pcapp.parse(process.argv[2] === "-" ? process.stdin : process.argv[2]);
parser.on("packet", (p) => {
  packets++;
  const d = p.data;
  let o = 12;
  let type = d.readUInt16BE(o);
  if (type === 0x8100) { o += 4; type = d.readUInt16BE(o); }
  o += 2;
  let src;
  if (type === 0x0800) src = d[o + 12] + "." + d[o + 13] + "." + d[o + 14] + "." + d[o + 15];
  else if (type === 0x86dd) src = d.toString("hex", o + 8, o + 24).replace(/(.{4})(?!$)/g, "$1:");
  else return;
  counts.set(src, (counts.get(src) || 0) + 1);
});
parser.on("error", (e) => { console.error(e.message); process.exitCode = 2; });
parser.on("end", () => {
  const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 10);
  for (const [src, n] of top) console.log(n + "\t" + src);
  console.log("# packets " + packets + ", sources " + counts.size);
});
`;

/**
 * zk-stream's own Node API, as a Node user calls it (dist/index.js's path is the first argument):
 * `zk.top(path)`, the ten largest counts of connections per source, as the CLI's `top --by src`.
 * Its rows carry packets and bytes too, so the core counts those as well (the CLI does not).
 */
export const ZK_API_TOP = String.raw`
import(process.argv[1]).then(async ({ zk }) => {
  const rows = await zk.top(process.argv[2], { by: ["src"], limit: 10 });
  for (const r of rows) console.log(r.conns + "\t" + r.src);
});
`;
