// Transparent huge pages for the core's linear memory once it is large. The tables are read at
// random; with 4 KiB pages a lookup in a table far larger than the TLB's reach also walks the page
// tables, and Linux's default (THP "madvise") gives 2 MiB pages only to memory that asks. Node
// cannot ask: the small addon native/huge_pages.c does, built by npm's install step where a C
// compiler is. Without the addon, off Linux, or with ZK_HUGE_PAGES=0, the memory keeps 4 KiB pages;
// no result depends on it.
import { createRequire } from "node:module";

interface Addon {
  /** [errno, address advised]: 0 applied; ENOMEM applied to the part of the span that is mapped. */
  adviseHugePages(buffer: ArrayBuffer, span: number): [number, bigint];
}

const ADDON_PATH = "../../native/build/Release/huge_pages.node";
/** wasm32's largest memory: V8 reserves at least that much address space for a memory that may
 *  grow in place, so one advice covers every later growth. */
const SPAN = 2 ** 32;
const ENOMEM = 12;
/**
 * Memory past which huge pages are asked for. Up to it they gained at most a few percent, within
 * the machine's noise, and cost RSS: 2 MiB pages make whole what 4 KiB pages leave untouched
 * (the 2M-packet bench capture with `service`, 128 MiB of memory: +4.5 MB). Beyond it a million
 * connections ran 10-20% faster (bench/NOTES.md, "Huge pages").
 */
const HUGE_PAGES_FROM = 128 << 20;

let addon: Addon | null | undefined;

function debug(message: string): void {
  if (process.env.ZK_DEBUG === "1") process.stderr.write(`zk-stream: debug: ${message}\n`);
}

function loadAddon(): Addon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env.ZK_HUGE_PAGES === "0") debug("huge pages: off (ZK_HUGE_PAGES=0)");
  else if (process.platform !== "linux") debug("huge pages: Linux only");
  else {
    try {
      addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    } catch (e) {
      debug(`huge pages: addon not loaded (${(e as Error).message.split("\n")[0]})`);
    }
  }
  return addon;
}

/**
 * Asks for huge pages in `memory` from its first page on, growth included, once it is larger than
 * HUGE_PAGES_FROM: called after each growth (again harmless when the memory grew in place, needed
 * when V8 had to move it). Returns the address advised, or undefined when nothing was asked (a
 * smaller memory, no addon) or the kernel refused.
 */
export function adviseHugePages(memory: WebAssembly.Memory): bigint | undefined {
  if (memory.buffer.byteLength <= HUGE_PAGES_FROM) return undefined;
  const native = loadAddon();
  if (!native) return undefined;
  const [error, address] = native.adviseHugePages(memory.buffer, SPAN);
  if (error !== 0 && error !== ENOMEM) {
    debug(`huge pages: madvise refused (errno ${error})`);
    return undefined;
  }
  debug(`huge pages: asked for, the memory at ${memory.buffer.byteLength >>> 20} MiB`);
  return address;
}
