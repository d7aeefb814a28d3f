// The only file that touches the wasm exports. Integers cross the boundary; JS copies chunks in
// and reads result rows out, never anything per packet.
import { coreModule } from "./load.js";
import { SERVICE_RANKS } from "../analyzers.js";

interface Exports {
  memory: WebAssembly.Memory;
  init(flags: number, byMask: number, eventKinds: number): void;
  eventsLength(): number;
  recordsLength(): number;
  recordsStart(): number;
  recordsDrained(): void;
  advance(ts: number): void;
  currentTime(): number;
  eventsStart(): number;
  eventsDrained(): void;
  writePtr(): number;
  writeSpace(): number;
  feed(n: number): number;
  beginFile(): void;
  endFile(): number;
  finish(batch: number): number;
  started(): number;
  errorCode(): number;
  errorOffset(): number;
  errorDetail(): number;
  bytesConsumed(): number;
  statRecordsRead(): number;
  statRecordsDecoded(): number;
  statBytesInRecords(): number;
  statSkipped(reason: number): number;
  statUnsupportedLink(): number;
  statLiveConnections(): number;
  statTotalConnections(): number;
  statEvictedConnections(): number;
  statBadTransportChecksums(): number;
  statLatePackets(): number;
  statFragmentsHeld(): number;
  statFragments(i: number): number;
  statWarmedRecords(): number;
  statWarmedTunnelled(): number;
  statReleasedEarly(): number;
  statPoolRecordsInUse(): number;
  limitConnections(n: number): void;
  limitDetectionMemory(bytes: number): void;
  limitRows(n: number): void;
  statUncountedConnections(): number;
  statDetectionBytes(): number;
  rows(): number;
  top(n: number, metric: number): number;
  serviceRank(id: number, rank: number): void;
  topRow(i: number): number;
  rowSize(): number;
  keySize(): number;
  partition(index: number, count: number): void;
  rowCount(): number;
  rowsPerSegment(): number;
  rowsAt(i: number): number;
  mergePtr(): number;
  mergeSpace(): number;
  mergeRows(n: number): void;
}

export class CoreError extends Error {}

/** An AssemblyScript string in the core's memory: UTF-16 code units, their byte length just before. */
function asString(memory: WebAssembly.Memory, p: number): string {
  try {
    const bytes = new DataView(memory.buffer).getUint32(p - 4, true);
    return String.fromCharCode(...new Uint16Array(memory.buffer.slice(p, p + Math.min(bytes, 512))));
  } catch {
    return "";
  }
}

/**
 * Bytes copied in and fed at a time. The core works through a piece while its bytes are still in
 * the L2 cache; a 1 MiB piece took half of it and pushed out the connection records the packets
 * look up (top --by src on the 2M-packet bench capture: 1.04 s with 1 MiB pieces, 0.93 s with 256 KiB).
 */
const PIECE = 256 << 10;

/** Fragment counters in the core's order (assembly/decode/fragments.ts), Zeek's weird names where they exist. */
export const FRAGMENT_COUNTERS = [
  "fragments_held", "datagrams_reassembled", "reassemblies_evicted", "reassemblies_expired",
  "fragment_overlap", "fragment_inconsistency", "excessively_large_fragment", "excessively_small_fragment",
  "fragment_size_inconsistency", "fragment_protocol_inconsistency", "incompletely_captured_fragment",
  "fragment_header_too_long",
] as const;

/** Receives a batch of raw events (EVENT_SIZE bytes each, assembly/events.ts); valid only during the call. */
export type EventSink = (batch: Uint8Array, view: DataView) => void;
export const EVENT_SIZE = 64;
/** Bytes per conn record (assembly/records.ts). */
export const CONN_RECORD_SIZE = 256;

export interface CoreOptions {
  flags: number;
  byMask: number;
  eventKinds?: number;
  onEvents?: EventSink;
  /** Receives batches of conn records (CONN_RECORD_SIZE bytes each); turns them on. */
  onRecords?: EventSink;
  /** Limit on live connections (0: none). */
  maxConnections?: number;
  /** Bytes the live connections' buffers may hold (default 1 GiB); past them connections end early. */
  detectionMemory?: number;
  /** Most distinct keys of the counter rows (default 2^24); past them connections are uncounted. */
  maxKeys?: number;
  /** Run protocol detection (needed for services: conn.log, confirmations, service keys). */
  detectProtocols?: boolean;
  /** Keep packets and bytes per counter row (for --metric pkts/bytes); default true. */
  countTraffic?: boolean;
  /** Cache warming of packet batches (assembly/flow/warm.ts); default "auto". */
  warming?: Warming;
  /** Keep only this partition's connections (assembly/config.ts); default: all. */
  partition?: { index: number; count: number };
}

/** "auto": on once the connections outgrow the caches. The others are for tests and measurements:
 *  no result depends on the choice. */
export type Warming = "auto" | "always" | "never";
const WARMING_FLAG: Record<Warming, number> = { auto: 0, always: 16, never: 32 };

export class Core {
  private readonly ex: Exports;
  private buffer: ArrayBuffer | undefined;
  private bytes = new Uint8Array(0);
  private view = new DataView(new ArrayBuffer(0));

  private sink: EventSink | undefined;
  private recordSink: EventSink | undefined;

  constructor(options: CoreOptions) {
    const { flags, byMask, eventKinds = 0, onEvents, onRecords } = options;
    this.sink = onEvents;
    this.recordSink = onRecords;
    const instance = new WebAssembly.Instance(coreModule(), {
      env: {
        abort: (msg: number, file: number, line: number, col: number): never => {
          // an assertion of the debug core names itself and its file
          const memory = this.ex?.memory;
          const text = (p: number) => (memory && p ? asString(memory, p >>> 0) : "");
          const what = [text(msg), text(file)].filter(Boolean).join(", ");
          throw new CoreError(`wasm core aborted at ${line}:${col}${what ? ` (${what})` : ""}`);
        },
      },
    });
    this.ex = instance.exports as unknown as Exports;
    this.ex.init(flags | (onRecords ? 2 : 0) | (options.detectProtocols ? 4 : 0) | (options.countTraffic === false ? 8 : 0) | WARMING_FLAG[options.warming ?? "auto"], byMask, onEvents ? eventKinds : 0);
    this.ex.limitConnections(options.maxConnections ?? 0);
    if (options.detectionMemory !== undefined) this.ex.limitDetectionMemory(options.detectionMemory);
    if (options.maxKeys !== undefined) this.ex.limitRows(options.maxKeys);
    if (options.partition) this.ex.partition(options.partition.index, options.partition.count);
    SERVICE_RANKS.forEach((rank, id) => this.ex.serviceRank(id, rank));
  }

  /** Views on memory.buffer, rebuilt when memory.grow has detached the old buffer. */
  private refresh(): void {
    const buf = this.ex.memory.buffer;
    if (buf !== this.buffer) {
      this.buffer = buf;
      this.bytes = new Uint8Array(buf);
      this.view = new DataView(buf);
    }
  }

  /** Copies the chunk into the input region piece by piece; returns the core's error code (0: none). */
  write(chunk: Uint8Array): number {
    this.stillOpen();
    const ex = this.ex;
    let off = 0;
    while (off < chunk.length) {
      const space = ex.writeSpace();
      if (space === 0) throw new CoreError("input region full");
      const n = Math.min(space, chunk.length - off, PIECE);
      const ptr = ex.writePtr() >>> 0; // addresses are unsigned (memory may pass 2 GiB)
      this.refresh();
      this.bytes.set(chunk.subarray(off, off + n), ptr);
      off += n;
      const err = ex.feed(n);
      this.drainEvents();
      if (err !== 0) return err;
    }
    return 0;
  }

  beginFile(): void { this.stillOpen(); this.ex.beginFile(); }
  endFile(): number { this.stillOpen(); return this.ex.endFile(); }
  /** End of input: every live connection ends, in batches with their events and records drained between. */
  finish(): void {
    while (this.finishSome(65536));
  }

  /** End of input, a step: up to `batch` live connections end and their events and records are
   *  drained. Returns whether connections are left (call again). */
  finishSome(batch: number): boolean {
    if (this.input === "ended") return false;
    this.input = "ending";
    const left = this.ex.finish(batch);
    if (left === 0) this.input = "ended";
    this.drainEvents();
    return left > 0;
  }

  /** "ending" once the end of input starts (finish, finishSome), "ended" once every connection has
   *  ended: the core keeps no connection table while it ends them (a sink that wrote more packets
   *  meanwhile would find freed records), and nothing comes after. */
  private input: "open" | "ending" | "ended" = "open";
  private stillOpen(): void {
    if (this.input !== "open") throw new CoreError("the input has ended: no more packets or time");
  }

  /** Network time (ns): the latest packet timestamp seen. */
  currentTime(): number { return this.ex.currentTime(); }

  /** Live input idle: network time moves to `tsNs` and due timers fire (records may follow). */
  advance(tsNs: number): void {
    this.stillOpen();
    this.ex.advance(tsNs);
    this.drainEvents();
  }

  /** Hands waiting events and conn records to their sinks, one batch each. */
  private drainEvents(): void {
    const ex = this.ex;
    // records first: a connection_end event can then take its record (same order in both rings)
    if (this.recordSink && ex.recordsLength() > 0) {
      const start = ex.recordsStart() >>> 0, len = ex.recordsLength();
      this.refresh();
      this.recordSink(this.bytes.subarray(start, start + len), new DataView(this.bytes.buffer, start, len));
      ex.recordsDrained();
    }
    if (this.sink && ex.eventsLength() > 0) {
      const start = ex.eventsStart() >>> 0, len = ex.eventsLength();
      this.refresh();
      this.sink(this.bytes.subarray(start, start + len), new DataView(this.bytes.buffer, start, len));
      ex.eventsDrained();
    }
  }
  started(): boolean { return this.ex.started() !== 0; }

  error(): { code: number; offset: number; detail: number } {
    return { code: this.ex.errorCode(), offset: this.ex.errorOffset(), detail: this.ex.errorDetail() };
  }

  stats(reasons: number): { recordsRead: number; recordsDecoded: number; bytesInRecords: number; skipped: number[]; unsupportedLink: number; liveConnections: number; totalConnections: number; evictedConnections: number; uncountedConnections: number; badTransportChecksums: number; latePackets: number; fragmentsPending: number; fragments: number[] } {
    const ex = this.ex;
    const skipped: number[] = [];
    for (let r = 0; r < reasons; r++) skipped.push(ex.statSkipped(r));
    return {
      recordsRead: ex.statRecordsRead(),
      recordsDecoded: ex.statRecordsDecoded(),
      bytesInRecords: ex.statBytesInRecords(),
      skipped,
      unsupportedLink: ex.statUnsupportedLink(),
      liveConnections: ex.statLiveConnections(),
      totalConnections: ex.statTotalConnections(),
      evictedConnections: ex.statEvictedConnections(),
      uncountedConnections: ex.statUncountedConnections(),
      badTransportChecksums: ex.statBadTransportChecksums(),
      latePackets: ex.statLatePackets(),
      fragmentsPending: ex.statFragmentsHeld(),
      fragments: FRAGMENT_COUNTERS.map((_, i) => ex.statFragments(i)),
    };
  }

  /** Records whose table entries the warming keyed ahead (assembly/flow/warm.ts): a diagnostic. */
  warmedRecords(): number { return this.ex.statWarmedRecords(); }
  /** Packets inside UDP tunnels (VXLAN, Geneve, GTP-U) whose table entries the warming loaded. */
  warmedTunnelled(): number { return this.ex.statWarmedTunnelled(); }
  /** Connections whose detection ended once the output could see nothing more (assembly/detect/registry.ts nothingToLearn). */
  releasedEarly(): number { return this.ex.statReleasedEarly(); }
  /** Records of the detection and holes pools not returned (assembly/detect/pool.ts): 0 after the end. */
  poolRecordsInUse(): number { return this.ex.statPoolRecordsInUse(); }
  /** Bytes the live connections' buffers hold now (for tests). */
  detectionBytes(): number { return this.ex.statDetectionBytes(); }

  /** A copy of every counter row (rowSize() bytes each: the key, then conns, pkts, bytes as u64),
   *  for mergeRows() in another partition's core. */
  exportRows(): Uint8Array {
    const ex = this.ex;
    const rowSize = ex.rowSize(), count = ex.rowCount(), perSegment = ex.rowsPerSegment();
    const out = new Uint8Array(count * rowSize);
    this.refresh();
    for (let first = 0, seg = 0; first < count; first += perSegment, seg++) {
      const start = ex.rowsAt(seg) >>> 0;
      out.set(this.bytes.subarray(start, start + Math.min(perSegment, count - first) * rowSize), first * rowSize);
    }
    return out;
  }

  /** Adds exportRows()'s rows of another partition to this core's rows, through the input region
   *  (once the input has ended: finish()). */
  mergeRows(rows: Uint8Array): void {
    const ex = this.ex;
    if (this.input !== "ended") throw new CoreError("mergeRows(): the input has not ended");
    const rowSize = ex.rowSize();
    if (rows.length % rowSize !== 0) throw new CoreError(`mergeRows(): ${rows.length} bytes is not a whole number of ${rowSize}-byte rows`);
    const perCall = Math.floor(ex.mergeSpace() / rowSize); // the region holds at least 1 MiB
    for (let off = 0; off < rows.length;) {
      const n = Math.min(perCall, (rows.length - off) / rowSize);
      this.refresh();
      this.bytes.set(rows.subarray(off, off + n * rowSize), ex.mergePtr() >>> 0);
      ex.mergeRows(n);
      off += n * rowSize;
    }
  }

  /** Top n rows (0: all) by metric; each row's raw key bytes (copied) and its three metrics. */
  top(n: number, metric: number): { key: Uint8Array; conns: number; pkts: number; bytes: number }[] {
    const ex = this.ex;
    const k = ex.top(n, metric);
    const keySize = ex.keySize();
    this.refresh();
    const out = [];
    for (let i = 0; i < k; i++) {
      const p = ex.topRow(i) >>> 0;
      out.push({
        key: this.bytes.slice(p, p + keySize),
        conns: Number(this.view.getBigUint64(p + keySize, true)),
        pkts: Number(this.view.getBigUint64(p + keySize + 8, true)),
        bytes: Number(this.view.getBigUint64(p + keySize + 16, true)),
      });
    }
    return out;
  }
}
