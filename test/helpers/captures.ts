// Where the reference captures are, and readers for their expected results (Zeek's logs).
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const CAPTURES = resolve(REPO, "../shared/captures");
export const HAVE_CAPTURES = existsSync(join(CAPTURES, "INDEX.tsv"));

/** Reference captures joined with cat (INDEX.tsv: "two classic pcap files back-to-back"). tshark
 *  reads the second file's header as a record of caplen 0 (its thiszone field), as zk-stream does,
 *  and reports an impossible length at the next one, 16 bytes on; zk-stream names the header itself
 *  (joined_captures, layer "capture header", with the hint to name the files or merge them): the
 *  same records, the damage 16 bytes earlier. */
export const JOINED_CAPTURES = new Set(["formats/DERIVED_pcap-two-files-concatenated_ndpi-smtp.pcap"]);

export function noteMissingCaptures(what: string): void {
  if (!HAVE_CAPTURES) console.log(`  SKIP ${what}: reference captures not found at ${CAPTURES}`);
}

const CAPTURE_FILE = /\.(pcap|pcapng|cap|trace)$/;

/** Every capture file under dir (by its name's ending), in name order. */
export function capturesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...capturesUnder(path));
    else if (CAPTURE_FILE.test(name)) out.push(path);
  }
  return out;
}

/** Some baselines rename the id fields (a script's choice); map them back to conn.log's names. */
const RENAMED: Record<string, string> = { src: "id.orig_h", src_port: "id.orig_p", dst: "id.resp_h", dst_port: "id.resp_p" };
const renamed = (f: string) => RENAMED[f] ?? f;

/** A Zeek ASCII log: its field names and rows as objects. */
export interface ZeekLog { fields: string[]; rows: Record<string, string>[] }

export function readZeekLog(path: string): ZeekLog {
  const fields: string[] = [];
  const rows: Record<string, string>[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.startsWith("#fields\t")) fields.push(...line.slice(8).split("\t").map(renamed));
    if (line === "" || line.startsWith("#")) continue;
    if (fields.length === 0) {
      // a cut baseline (zeek-cut output): its first line names the columns
      fields.push(...line.split("\t").map(renamed));
      continue;
    }
    const cells = line.split("\t");
    const row: Record<string, string> = {};
    fields.forEach((f, i) => { row[f] = cells[i]; });
    rows.push(row);
  }
  return { fields, rows };
}

/** One Zeek trace with a conn.log baseline and the options of the run that produced it. */
export interface ConnTrace {
  name: string;
  pcap: string;
  connLog: string;
  ignoreChecksums: boolean;
  bare: boolean;
}

/** Every trace in zeek/ and zeek-protocols/ with a conn.log baseline. */
export function connTraces(): ConnTrace[] {
  if (!HAVE_CAPTURES) return [];
  const out: ConnTrace[] = [];
  const zeekDir = join(CAPTURES, "zeek");
  for (const line of readFileSync(join(zeekDir, "INDEX.tsv"), "utf8").split("\n").slice(1)) {
    const [name, tracePath, , , , , , , cmd] = line.split("\t");
    if (!name) continue;
    const dir = join(zeekDir, name);
    const connLog = join(dir, "conn.log");
    const pcapName = tracePath.split("/").pop()!;
    if (!existsSync(connLog) || !existsSync(join(dir, pcapName))) continue;
    out.push({ name: `zeek/${name}`, pcap: join(dir, pcapName), connLog, ignoreChecksums: / -C /.test(cmd ?? ""), bare: / -b /.test(cmd ?? "") });
  }
  const protoDir = join(CAPTURES, "zeek-protocols");
  const runs = new Map<string, string[]>();
  for (const line of readFileSync(join(protoDir, "RUNS.tsv"), "utf8").split("\n").slice(1)) {
    const cells = line.split("\t");
    if (cells[0]) runs.set(cells[0], cells);
  }
  for (const file of readdirSync(protoDir).sort()) {
    const m = /^(.*)\.expected\.conn\.log(\.cut)?$/.exec(file);
    if (!m) continue;
    const run = runs.get(m[1]);
    const cmd = run?.[1] ?? "";
    if (run && run[2] === "no") continue;
    out.push({ name: `zeek-protocols/${m[1]}`, pcap: join(protoDir, m[1]), connLog: join(protoDir, file), ignoreChecksums: / -C /.test(cmd), bare: / -b /.test(cmd) });
  }
  return out;
}
