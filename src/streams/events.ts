// The events Transform: capture bytes in, plain event objects out (object mode readable side).
//
// Backpressure: an input chunk is fed to the core in slices; when the readable side is full the
// rest of the chunk waits for _read, and the chunk's callback (hence the source) waits with it.
// So what is buffered is at most the readable highWaterMark plus one slice's events, whatever
// the input size; at the end of input the connections still open end END_STEP at a time, the
// same way. A chunk is fed from the next turn of the event loop, so that a source which asks for
// its next read only once write() has returned (fs.createReadStream) reads while the core works;
// the writable side takes up to 1 MiB of input ahead. Damage: the events of every complete packet
// before it (and the final ones of the end of input) are delivered first, then the stream is
// destroyed with a ZkError.
import { Transform, type TransformCallback } from "node:stream";
import { Engine, type FileResult, type KeyField, type Metric } from "../engine.js";
import {
  EVENT_NAMES, checkEventNames, decodeEvents, doneEvent, eventMask,
  type EventName, type ZkEvent,
} from "../events.js";
import { ZkError } from "./error.js";
import { CHUNK } from "../buffers.js";
import type { CaptureError } from "../errors.js";
import { inDecompressedStream } from "../input.js";

/** Bytes fed to the core between two backpressure checks. */
const SLICE = 64 * 1024;
/** Connections ended at the end of input between two backpressure checks. */
const END_STEP = 64;

export interface EventsOptions {
  /** Event names to emit (default: all of them, zeek_done included). */
  events?: readonly EventName[];
  /** Key fields of the final table (default ["src"]). */
  by?: readonly KeyField[];
  /** Order of the final table (default "conns"). */
  metric?: Metric;
  /** Rows of the final table, 0 for all (default 0). */
  limit?: number;
  /** Keep packets with a bad IPv4 header checksum (Zeek's -C). */
  ignoreChecksums?: boolean;
  /** The input's name in error messages (default "input"). */
  name?: string;
  /** Events buffered on the readable side before the input pauses (default 64). */
  highWaterMark?: number;
}

export class EventStream extends Transform {
  readonly engine: Engine;
  private readonly wanted: ReadonlySet<EventName>;
  /** The core's event-kind mask (bit 1 << kind): 0 when no ring event is wanted. */
  readonly eventKinds: number;
  private readonly metric: Metric;
  private readonly limit: number;
  private readonly label: string;
  /** The chunk being fed, where we are in it, and its callback. */
  private chunk: Uint8Array | undefined;
  private chunkOff = 0;
  private chunkCb: TransformCallback | undefined;
  /** The readable side said "enough" (push returned false). */
  private full = false;
  /** Damage found: delivered once every event before it is consumed. */
  private failure: ZkError | undefined;
  private failureCb: TransformCallback | undefined;
  /** Piped: the failure waits until every stream downstream has taken everything. */
  private failureWaitsDownstream = false;
  private finished_ = false;
  /** The end of input is under way: its callback, and the input's outcome. */
  private ending: { cb: TransformCallback; file: FileResult } | undefined;

  constructor(options: EventsOptions = {}) {
    super({
      readableObjectMode: true,
      writableObjectMode: false,
      readableHighWaterMark: options.highWaterMark ?? 64,
      writableHighWaterMark: CHUNK, // input waiting while the core works: a read of the file reader
    });
    const names = checkEventNames(options.events ?? EVENT_NAMES);
    this.wanted = new Set(names);
    this.eventKinds = eventMask(names);
    this.metric = options.metric ?? "conns";
    this.limit = options.limit ?? 0;
    this.label = options.name ?? "input";
    const mask = this.eventKinds;
    this.engine = new Engine({
      by: options.by ? [...options.by] : undefined,
      ignoreChecksums: options.ignoreChecksums,
      eventKinds: mask,
      // events are decoded only for the kinds asked for; none at all when none is
      onEvents: mask === 0 ? undefined : (batch, view) => decodeEvents(batch, view, mask, (ev) => this.emitEvent(ev), () => this.engine.takeEndRecord()),
    });
    this.engine.beginFile();
  }

  private emitEvent(ev: ZkEvent): void {
    if (!this.push(ev)) this.full = true;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.chunk = chunk;
    this.chunkOff = 0;
    this.chunkCb = cb;
    // _read may have fed this chunk to its end meanwhile (and the next one be here): then nothing
    setImmediate(() => { if (this.chunk === chunk && !this.full) this.pump(); });
  }

  /** Feeds the current chunk slice by slice until it is done, the readable side is full, or damage. */
  private pump(): void {
    while (this.chunk !== undefined && !this.destroyed) {
      const chunk = this.chunk;
      const cb = this.chunkCb!;
      const end = Math.min(chunk.length, this.chunkOff + SLICE);
      const ok = this.engine.write(chunk.subarray(this.chunkOff, end));
      // a consumer may have destroyed the stream from a 'data' handler during the write
      if (this.destroyed) return;
      this.chunkOff = end;
      if (!ok || end >= chunk.length) {
        this.chunk = this.chunkCb = undefined;
        if (ok) cb();
        else this.conclude(cb);
        return;
      }
      if (this.full) return; // _read resumes
    }
  }

  override _read(size: number): void {
    this.full = false;
    if (this.ending !== undefined) return this.endSteps();
    if (this.chunk !== undefined) this.pump();
    if (this.chunk === undefined) super._read(size);
  }

  override _flush(cb: TransformCallback): void {
    this.conclude(cb, true);
  }

  /** End of input (`inputDone`) or damage the core found: the end of the current file, every live
   *  connection's end, the final table; then the error if any. */
  private conclude(cb: TransformCallback, inputDone = false): void {
    if (this.finished_) return cb();
    this.finished_ = true;
    let file = this.engine.endFile(this.label);
    const input = fileInputs.get(this);
    // damage in the gzip data counts once every byte inflated before it went in: the reader may
    // have found it while the core had yet to reach damage of the capture's own, which comes first
    if (inputDone && input?.damage) file = { ...file, error: input.damage };
    else if (input?.gzip.seen && file.error) file = { ...file, error: inDecompressedStream(file.error) };
    this.ending = { cb, file };
    this.endSteps();
  }

  /** The connections still open end a step at a time while the readable side has room (_read
   *  resumes); then the final table and the outcome. */
  private endSteps(): void {
    while (this.engine.endSome(END_STEP)) {
      if (this.destroyed || this.full) return;
    }
    if (this.destroyed) return;
    const { cb, file } = this.ending!;
    this.ending = undefined;
    if (this.wanted.has("zeek_done")) {
      const rows = this.engine.top(this.limit, this.metric);
      this.emitEvent(doneEvent(this.engine.by, this.metric, rows, this.engine.stats()));
      if (this.destroyed) return; // by a 'data' handler
    }
    if (!file.error) return cb();
    this.failure = new ZkError(file.error, this.label);
    this.failureCb = cb;
    const pipes = (this as unknown as { _readableState: { pipes?: NodeJS.WritableStream[] } })._readableState.pipes ?? [];
    if (pipes.length > 0) {
      // piped (pipeline): an error destroys every stream of the pipeline, dropping what they
      // buffer; so end our readable side and raise the error once everything downstream is done
      this.failureWaitsDownstream = true;
      this.push(null);
      Promise.all(pipes.map(settled)).then(() => this.deliverFailure(true));
    } else {
      this.deliverFailure();
    }
  }

  /** Errors only once the consumer has every event before it (destroy would drop buffered ones). */
  private deliverFailure(downstreamDone = false): void {
    if (this.failure === undefined || this.destroyed) return;
    if (downstreamDone !== this.failureWaitsDownstream) return;
    if (!downstreamDone && this.readableLength > 0) return; // read() calls back here
    const cb = this.failureCb!;
    const err = this.failure;
    this.failure = this.failureCb = undefined;
    cb(err);
  }

  override read(size?: number): any {
    const out = super.read(size);
    if (this.failure !== undefined && !this.failureWaitsDownstream) process.nextTick(() => this.deliverFailure());
    return out;
  }

  /** The current top rows (any time, also while reading). */
  top(limit = 10, metric: Metric = this.metric) {
    return this.engine.top(limit, metric);
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    this.chunk = this.chunkCb = undefined;
    this.ending = undefined;
    this.failure = this.failureCb = undefined;
    cb(err);
  }
}

/** A stream's file (zk.events(path)): whether it was gzipped, and damage found in its gzip data. */
export interface FileInput { gzip: { seen: boolean }; damage?: CaptureError }
const fileInputs = new WeakMap<EventStream, FileInput>();
/** zk.events(path) tells the stream about its file (kept off the stream's public surface). */
export function setFileInput(stream: EventStream, input: FileInput): void { fileInputs.set(stream, input); }

type AnyStream = NodeJS.EventEmitter & {
  destroyed?: boolean;
  _writableState?: { finished?: boolean };
  _readableState?: { pipes?: AnyStream[]; endEmitted?: boolean };
};

/**
 * Resolves once a stream downstream of us has taken everything: its writable side finished and,
 * if it is readable, what it pipes to settled too (or, at the end of the chain, its readable side
 * ended), or it was destroyed.
 */
function settled(stream: unknown): Promise<void> {
  const s = stream as AnyStream;
  return new Promise<void>((resolve) => {
    const waitFor = (event: string, then: () => void) => {
      const done = () => { s.off(event, done); s.off("close", done); then(); };
      s.on(event, done);
      s.on("close", done);
    };
    const check = (): void => {
      if (s.destroyed) return resolve();
      if (s._writableState && !s._writableState.finished) return waitFor("finish", check);
      const r = s._readableState;
      if (!r) return resolve();
      const pipes = r.pipes ?? [];
      if (pipes.length > 0) return void Promise.all(pipes.map(settled)).then(() => resolve());
      if (!r.endEmitted) return waitFor("end", check);
      resolve();
    };
    check();
  });
}
