// The only file that touches the wasm exports. Integers cross the boundary; JS copies chunks in
// and reads result rows out, never anything per packet.
import { coreModule } from "./load.js";

interface Exports {
  memory: WebAssembly.Memory;
  init(flags: number, byMask: number, eventKinds: number): void;
  eventsLength(): number;
  eventsStart(): number;
  eventsDrained(): void;
  writePtr(): number;
  writeSpace(): number;
  feed(n: number): number;
  beginFile(): void;
  endFile(): number;
  finish(): void;
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
  rows(): number;
  top(n: number, metric: number): number;
  topRow(i: number): number;
  rowSize(): number;
  keySize(): number;
}

export class CoreError extends Error {}

/** Receives a batch of raw events (EVENT_SIZE bytes each, assembly/events.ts); valid only during the call. */
export type EventSink = (batch: Uint8Array, view: DataView) => void;
export const EVENT_SIZE = 64;

export class Core {
  private readonly ex: Exports;
  private buffer: ArrayBuffer | undefined;
  private bytes = new Uint8Array(0);
  private view = new DataView(new ArrayBuffer(0));

  private sink: EventSink | undefined;

  constructor(flags: number, byMask: number, eventKinds = 0, sink?: EventSink) {
    this.sink = sink;
    const instance = new WebAssembly.Instance(coreModule(), {
      env: {
        abort(_msg: number, _file: number, line: number, col: number): never {
          throw new CoreError(`wasm core aborted at ${line}:${col}`);
        },
      },
    });
    this.ex = instance.exports as unknown as Exports;
    this.ex.init(flags, byMask, eventKinds);
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
    const ex = this.ex;
    let off = 0;
    while (off < chunk.length) {
      const space = ex.writeSpace();
      if (space === 0) throw new CoreError("input region full");
      const n = Math.min(space, chunk.length - off);
      const ptr = ex.writePtr();
      this.refresh();
      this.bytes.set(chunk.subarray(off, off + n), ptr);
      off += n;
      const err = ex.feed(n);
      this.drainEvents();
      if (err !== 0) return err;
    }
    return 0;
  }

  beginFile(): void { this.ex.beginFile(); }
  endFile(): number { return this.ex.endFile(); }
  finish(): void {
    this.ex.finish();
    this.drainEvents();
  }

  /** Hands waiting events to the sink in one batch. */
  private drainEvents(): void {
    if (!this.sink) return;
    const len = this.ex.eventsLength();
    if (len === 0) return;
    const start = this.ex.eventsStart();
    this.refresh();
    this.sink(this.bytes.subarray(start, start + len), new DataView(this.bytes.buffer, start, len));
    this.ex.eventsDrained();
  }
  started(): boolean { return this.ex.started() !== 0; }

  error(): { code: number; offset: number; detail: number } {
    return { code: this.ex.errorCode(), offset: this.ex.errorOffset(), detail: this.ex.errorDetail() };
  }

  stats(reasons: number): { recordsRead: number; recordsDecoded: number; bytesInRecords: number; skipped: number[]; unsupportedLink: number; liveConnections: number; totalConnections: number } {
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
    };
  }

  /** Top n rows (0: all) by metric; each row's raw key bytes (copied) and its three metrics. */
  top(n: number, metric: number): { key: Uint8Array; conns: number; pkts: number; bytes: number }[] {
    const ex = this.ex;
    const k = ex.top(n, metric);
    const keySize = ex.keySize();
    this.refresh();
    const out = [];
    for (let i = 0; i < k; i++) {
      const p = ex.topRow(i);
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
