// Framing damage codes from the core (assembly/errors.ts), with the exit code each one means.

export const EXIT_OK = 0;
export const EXIT_USAGE = 1;
export const EXIT_UNREADABLE = 2;
export const EXIT_DAMAGED = 3;
export const EXIT_INTERNAL = 4;
/** stdout could not be written (a full disk, a quota): what was written is incomplete. */
export const EXIT_OUTPUT = 5;

interface CodeInfo { name: string; layer: string; exit: number; reason: (detail: number) => string }

/** What a file is that starts with these bytes instead of a capture's magic, and what to do:
 *  [first bytes, big-endian; how many of them; the words]. */
const OTHER_FORMATS: [number, number, string][] = [
  [0x1f8b, 2, "gzip data (the command line, and zk.top or zk.events given a path, inflate one layer of gzip; a stream must go through zlib.createGunzip() first)"],
  [0x28b52ffd, 4, "zstd data: decompress it first (zstd -dc FILE | zk-stream top -)"],
  [0xfd377a58, 4, "xz data: decompress it first (xz -dc FILE | zk-stream top -)"],
  [0x425a68, 3, "bzip2 data: decompress it first (bzip2 -dc FILE | zk-stream top -)"],
  [0x04224d18, 4, "lz4 data: decompress it first (lz4 -dc FILE | zk-stream top -)"],
  [0x504b0304, 4, "a zip archive: extract the capture first (unzip -p FILE NAME | zk-stream top -)"],
  [0x736e6f6f, 4, "a Solaris snoop capture: convert it first (editcap -F pcap FILE out.pcap)"],
  [0x23736570, 4, "a Zeek log, not a capture (zk-stream reads the packets Zeek read: zeek -r's file)"],
];

/** A 32-bit detail as eight hex digits. */
const hex32 = (d: number) => `0x${(d >>> 0).toString(16).padStart(8, "0")}`;

function notACapture(d: number): string {
  const magic = d >>> 0;
  const other = OTHER_FORMATS.find(([bytes, n]) => magic >>> (8 * (4 - n)) === bytes);
  return `not a pcap or pcapng capture (magic ${hex32(magic)})${other ? `: ${other[2]}` : ""}`;
}

const CODES: Record<number, CodeInfo> = {
  1: { name: "unknown_magic", layer: "capture header", exit: EXIT_UNREADABLE, reason: notACapture },
  2: { name: "header_cut", layer: "capture header", exit: EXIT_UNREADABLE, reason: (d) => `capture header cut short (${d} bytes)` },
  3: { name: "bad_version", layer: "capture header", exit: EXIT_UNREADABLE, reason: (d) => `unsupported format version ${d >>> 16}.${d & 0xffff}` },
  4: { name: "bad_header", layer: "capture header", exit: EXIT_UNREADABLE, reason: (d) => `link-type field with reserved bits set (${hex32(d)})` },
  5: { name: "bad_section_header", layer: "capture header", exit: EXIT_UNREADABLE, reason: (d) => `first section header with an impossible block length ${d}` },
  6: { name: "bad_section_header", layer: "capture header", exit: EXIT_UNREADABLE, reason: (d) => `first section header's trailing block length ${d} differs from the leading one` },
  7: { name: "bad_section_header", layer: "capture header", exit: EXIT_UNREADABLE, reason: (d) => `first section header's options overrun the block (block length ${d})` },
  10: { name: "record_length", layer: "pcap record", exit: EXIT_DAMAGED, reason: (d) => `impossible captured length ${d}` },
  11: { name: "record_cut", layer: "pcap record", exit: EXIT_DAMAGED, reason: (d) => `input ends inside a record (${d} bytes of it present): the file is cut short, or still being written` },
  12: { name: "block_length", layer: "pcapng block", exit: EXIT_DAMAGED, reason: (d) => `impossible block length ${d}` },
  13: { name: "block_cut", layer: "pcapng block", exit: EXIT_DAMAGED, reason: (d) => `input ends inside a block (${d} bytes of it present): the file is cut short, or still being written` },
  14: { name: "block_trailer", layer: "pcapng block", exit: EXIT_DAMAGED, reason: (d) => `trailing block length ${d} differs from the leading one` },
  15: { name: "block_body", layer: "pcapng block", exit: EXIT_DAMAGED, reason: (d) => `block fields overrun the block (${d})` },
  16: { name: "no_interface", layer: "pcapng block", exit: EXIT_DAMAGED, reason: (d) => `packet names interface ${d}, never described` },
  17: { name: "bad_section", layer: "pcapng block", exit: EXIT_DAMAGED, reason: (d) => `section header with a bad byte-order magic or an unsupported version (${hex32(d)})` },
  18: { name: "joined_captures", layer: "capture header", exit: EXIT_DAMAGED, reason: (d) => `another capture's file header (${(d >>> 0) === 0x0a0d0d0a ? "pcapng" : "pcap"}, magic ${hex32(d)}): files joined with cat? name each file (zk-stream top A B), or merge them by time (mergecap -w - A B | zk-stream top -)` },
};

export interface CaptureError {
  code: number;
  name: string;
  layer: string;
  offset: number;
  reason: string;
  exitCode: number;
}

export function describeError(code: number, offset: number, detail: number): CaptureError {
  const info = CODES[code];
  if (!info) {
    return { code, name: `error_${code}`, layer: "capture", offset, reason: `error code ${code} (detail ${detail})`, exitCode: code < 10 ? EXIT_UNREADABLE : EXIT_DAMAGED };
  }
  return { code, name: info.name, layer: info.layer, offset, reason: info.reason(detail), exitCode: info.exit };
}

/** The one-line message: file, byte offset, layer, reason. */
export function errorMessage(file: string, e: CaptureError): string {
  return `${file}: ${errorWhere(e)}`;
}

/** The message without the file: byte offset, layer, reason. */
export function errorWhere(e: CaptureError): string {
  return `byte ${e.offset}: ${e.layer}: ${e.reason}`;
}
