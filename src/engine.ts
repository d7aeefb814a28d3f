// Stream-agnostic engine: write(chunk) / endFile() / end(). One wasm core per engine.
// Adapters (CLI, Transform streams) feed it; it knows nothing about where bytes come from.
import { Core, CONN_RECORD_SIZE, FRAGMENT_COUNTERS, type EventSink, type Warming } from "./wasm/core.js";
import { decodeConnRecord, type ConnRecord } from "./conn.js";
import { describeError, type CaptureError, EXIT_UNREADABLE } from "./errors.js";
import { formatAddr, TRANSPORTS } from "./format/addr.js";
import { analyzerName, analyzerTag } from "./analyzers.js";

export const KEY_FIELDS = ["src", "dst", "dport", "service"] as const;
export type KeyField = (typeof KEY_FIELDS)[number];
const FIELD_BIT: Record<KeyField, number> = { src: 1, dst: 2, dport: 4, service: 8 };

export const METRICS = ["conns", "pkts", "bytes"] as const;
export type Metric = (typeof METRICS)[number];

/** Skip reasons, in the core's order (assembly/stats.ts), named after Zeek's weirds where one exists. */
export const SKIP_REASONS = [
  "unsupported_link_type",
  "not_ip",
  "truncated_link_header",
  "truncated_IP",
  "bad_IP_checksum",
  "bogus_IP_header",
  "truncated_transport_header",
  "fragment",
  "bad_transport_header",
  "tunnel",
  "no_connection",
] as const;

export interface EngineOptions {
  /** Key fields of the counters (default ["src"]). */
  by?: KeyField[];
  /** Ignore checksums, as Zeek's -C. */
  ignoreChecksums?: boolean;
  /** Event kinds the core records (bit 1 << kind, kinds in assembly/events.ts); 0: none. */
  eventKinds?: number;
  /** Receives each batch of raw events (64 bytes each, layout in assembly/events.ts). */
  onEvents?: EventSink;
  /** Receives each batch of raw conn records (256 bytes each, layout in assembly/records.ts). */
  onRecords?: EventSink;
  /**
   * Most live connections kept (default DEFAULT_MAX_CONNECTIONS; 0: the most the table holds, 2,000,000). At the limit the
   * connection whose timer comes first ends early (its record is written); counted in stats().
   */
  maxConnections?: number;
  /**
   * Bytes the live connections' buffers (protocol detection's state and buffers, conn records'
   * reassembly holes) may hold, default 1 GiB: past them the connections whose timers come first
   * end early, as at maxConnections, and count as evicted in stats(). Each thread of a split run
   * has its own.
   */
  detectionMemory?: number;
  /**
   * Most distinct keys in the counter rows, default 16,777,216 (2^24, about 1.3 GiB): the
   * connections of a key past them are in no row, and stats() counts them (connections_uncounted).
   */
  maxKeys?: number;
  /**
   * Run protocol detection. Default: only when the output needs services (a service key, conn
   * records, confirmation events). Without it, work per packet is much smaller, no service is
   * confirmed (rows, records and events show none), and only SSH and FTP are detected, on the few
   * connections that could be either, for the 1 h inactivity timeout their confirmation gives.
   */
  detectProtocols?: boolean;
  /** Metrics top() will be asked for (default all); without pkts/bytes no per-packet row update. */
  metrics?: Metric[];
  /** Cache warming of packet batches (default "auto"); no result depends on it. */
  warming?: Warming;
  /**
   * Keep only partition `index` of `count` of the connections (by a hash of their key), for a run
   * split among threads: every partition reads the whole capture, the others hand their rows over
   * (partitionResult) and one adds them up (absorb): the same counts as one engine's, unless a
   * partition evicts. maxConnections is for the whole run: each partition keeps its share, and its
   * evictions take its own first timers, not the run's.
   */
  partition?: { index: number; count: number };
}

/** What a partition of a run hands over to the partition that prints (Engine.absorb). */
export interface PartitionResult {
  /** Its counter rows, as Core.exportRows lays them out. */
  rows: Uint8Array;
  connections: number;
  connectionsEvicted: number;
  badTransportChecksums: number;
}

/** A conn record where it lies: at `off` in `bytes`, `view` a DataView on all of `bytes`. */
export interface EndRecord { bytes: Uint8Array; view: DataView; off: number }

/** About 450 MB of connection records. */
export const DEFAULT_MAX_CONNECTIONS = 1_000_000;

/** Event kinds of the core (assembly/events.ts). */
export const EVENT_KIND = { new_connection: 1, connection_end: 2, analyzer_confirmation: 3 } as const;

export interface TopRow {
  src?: string;
  dst?: string;
  dport?: number;
  proto?: string;
  /** Transport code used for ordering and Zeek's port suffix. */
  transport?: number;
  /** Confirmed analyzer, as conn.log's service column writes it ("http"). */
  service?: string;
  /** Zeek's tag of that analyzer ("Analyzer::ANALYZER_HTTP"). */
  tag?: string;
  conns: number;
  pkts: number;
  bytes: number;
}

export interface Stats {
  records_read: number;
  records_decoded: number;
  records_skipped: Record<string, number>;
  bytes_read: number;
  connections: number;
  /** Connections ended early because the table was full (--max-connections) or their buffers
   *  passed detectionMemory. */
  connections_evicted: number;
  /** Connections in no row of top(): their key came past maxKeys distinct keys. Only when not 0. */
  connections_uncounted?: number;
  /** Packets with a bad TCP/UDP/ICMP checksum: counted, but their content ignored (as Zeek). */
  bad_transport_checksums: number;
  /** Packets more than 5 s older than a packet before them (files out of time order): network
   *  time does not go back, so their connections may have ended already and they may start new ones. */
  late_packets: number;
  /** Reassemblies waiting for fragments at this moment. */
  fragments_pending: number;
  /** Fragment counters that are not zero (held, reassembled, evicted, expired, Zeek's weirds). */
  fragments: Record<string, number>;
  unsupported_link_type?: number;
}

export interface FileResult {
  name: string;
  bytes: number;
  error?: CaptureError;
}

export class Engine {
  readonly by: KeyField[];
  private readonly metrics: Metric[] | undefined;
  /** Conn records waiting for their connection_end events (when those are wanted), where they lie
   *  in a copy of their batch: decoded when taken (takeEndRecord), or written from as they are
   *  (takeEndRecordAt). */
  private endRecords: EndRecord[] = [];
  private endHead = 0;
  private readonly core: Core;
  private bytesThisFile = 0;
  private totalBytes = 0;
  private fileOpen = false;
  private fileError: CaptureError | undefined;
  /** Counts of the other partitions (absorb), added to stats(). */
  private absorbed = { connections: 0, connectionsEvicted: 0, badTransportChecksums: 0 };

  constructor(options: EngineOptions = {}) {
    // by: [] keeps no counters at all (a conn.log run needs none)
    this.by = options.by ?? ["src"];
    this.metrics = options.metrics;
    let mask = 0;
    for (const f of this.by) mask |= FIELD_BIT[f];
    // connection_end events carry their conn record: records are kept for them
    const wantsEnds = options.onEvents !== undefined && ((options.eventKinds ?? 0) & (1 << EVENT_KIND.connection_end)) !== 0;
    const userRecords = options.onRecords;
    const onRecords: EventSink | undefined = !wantsEnds ? userRecords : (batch, view) => {
      const bytes = batch.slice(); // the batch is the core's memory, valid during this call only
      const bytesView = new DataView(bytes.buffer);
      for (let off = 0; off + CONN_RECORD_SIZE <= bytes.length; off += CONN_RECORD_SIZE) this.endRecords.push({ bytes, view: bytesView, off });
      userRecords?.(batch, view);
    };
    this.core = new Core({
      flags: options.ignoreChecksums ? 1 : 0,
      byMask: mask,
      eventKinds: options.eventKinds ?? 0,
      onEvents: options.onEvents,
      onRecords,
      maxConnections: partitionShare(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, options.partition?.count ?? 1),
      detectionMemory: options.detectionMemory,
      maxKeys: options.maxKeys,
      partition: options.partition,
      countTraffic: options.metrics === undefined || options.metrics.some((m) => m !== "conns"),
      warming: options.warming,
      detectProtocols: options.detectProtocols ?? (
        (this.by as string[]).includes("service") || onRecords !== undefined ||
        ((options.eventKinds ?? 0) & (1 << EVENT_KIND.analyzer_confirmation)) !== 0),
    });
  }

  /** Start a capture file; several files in a row are one capture (connections carry on). */
  beginFile(): void {
    if (this.fileOpen) this.endFile("");
    this.core.beginFile();
    this.bytesThisFile = 0;
    this.fileError = undefined;
    this.fileOpen = true;
  }

  /** Feed bytes of the current file. Returns false once the file is damaged (further bytes are ignored). */
  write(chunk: Uint8Array): boolean {
    if (!this.fileOpen) this.beginFile();
    if (this.fileError) return false;
    this.bytesThisFile += chunk.length;
    this.totalBytes += chunk.length;
    const code = this.core.write(chunk);
    if (code !== 0) {
      const e = this.core.error();
      this.fileError = describeError(e.code, e.offset, e.detail);
      return false;
    }
    return true;
  }

  /** End of the current file: a record cut by the end is reported here. */
  endFile(name: string): FileResult {
    if (!this.fileOpen) this.beginFile();
    this.fileOpen = false;
    if (!this.fileError) {
      if (this.bytesThisFile === 0) {
        this.fileError = { code: 0, name: "empty", layer: "capture header", offset: 0, reason: "empty input: no capture header", exitCode: EXIT_UNREADABLE };
      } else {
        const code = this.core.endFile();
        if (code !== 0) {
          const e = this.core.error();
          this.fileError = describeError(e.code, e.offset, e.detail);
        }
      }
    }
    return { name, bytes: this.bytesThisFile, error: this.fileError };
  }

  /** End of input: every live connection ends (Zeek's zeek_done). */
  end(): void {
    if (this.fileOpen) this.endFile("");
    this.core.finish();
  }

  /**
   * end() a step at a time, for a writer that must not hold every remaining connection's output at
   * once: up to `batch` live connections end, their events and records handed over. Returns whether
   * any are left (call again).
   */
  endSome(batch: number): boolean {
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`endSome(): batch must be a positive integer, got ${batch}`);
    if (this.fileOpen) this.endFile("");
    return this.core.finishSome(batch);
  }

  get bytesRead(): number { return this.totalBytes; }

  /** The conn record of the next connection_end event (records and those events come in one order). */
  takeEndRecord(): ConnRecord | undefined {
    const r = this.takeEndRecordAt();
    return r && decodeConnRecord(r.bytes, r.view, r.off);
  }

  /** takeEndRecord's record as the core wrote it: at `off` in `bytes` (CONN_RECORD_SIZE bytes,
   *  layout in src/conn.ts), `view` a DataView on all of `bytes`. */
  takeEndRecordAt(): EndRecord | undefined {
    if (this.endHead >= this.endRecords.length) return undefined;
    const r = this.endRecords[this.endHead++];
    if (this.endHead === this.endRecords.length) {
      this.endRecords = [];
      this.endHead = 0;
    }
    return r;
  }

  /** Live input idle: network time moves to `tsNs` (ns since the epoch) and due timers fire. */
  advanceTime(tsNs: number): void { this.core.advance(tsNs); }

  /** Network time (ns since the epoch): the latest packet timestamp seen. */
  get networkTime(): number { return this.core.currentTime(); }

  /** Records whose table lookups the core's warming keyed ahead of the table (assembly/flow/warm.ts):
   *  which link layers and tunnels it covers, for tests and measurements; no result depends on it. */
  warmedRecords(): number { return this.core.warmedRecords(); }

  /** Of those, the packets inside a UDP tunnel (VXLAN, Geneve, GTP-U) whose table entries were
   *  loaded too: the warming only guesses their key, which the table computes itself. */
  warmedTunnelled(): number { return this.core.warmedTunnelled(); }

  /** Connections whose protocol detection ended once nothing it could still find would show in
   *  this run's output (assembly/detect/registry.ts nothingToLearn): for tests and measurements. */
  releasedEarly(): number { return this.core.releasedEarly(); }

  /** Records of the pools of detection state and TCP holes still handed out: 0 once the input has
   *  ended and every connection with it (none leaked, none freed twice). For tests. */
  poolRecordsInUse(): number { return this.core.poolRecordsInUse(); }
  /** Bytes the live connections' buffers hold now (detectionMemory's measure; for tests). */
  detectionBytes(): number { return this.core.detectionBytes(); }

  /** This partition's share of the counts, for absorb() in another partition's engine (after end()). */
  partitionResult(): PartitionResult {
    const s = this.core.stats(0);
    return { rows: this.core.exportRows(), connections: s.totalConnections, connectionsEvicted: s.evictedConnections, badTransportChecksums: s.badTransportChecksums };
  }

  /** Adds another partition's counts (after end()): top() and stats() then cover both. Records,
   *  skips and fragments are the same in every partition (each decodes every packet). */
  absorb(part: PartitionResult): void {
    this.core.mergeRows(part.rows);
    this.absorbed.connections += part.connections;
    this.absorbed.connectionsEvicted += part.connectionsEvicted;
    this.absorbed.badTransportChecksums += part.badTransportChecksums;
  }

  stats(): Stats {
    const s = this.core.stats(SKIP_REASONS.length);
    const skipped: Record<string, number> = {};
    SKIP_REASONS.forEach((name, i) => { if (s.skipped[i] > 0) skipped[name] = s.skipped[i]; });
    const out: Stats = {
      records_read: s.recordsRead,
      records_decoded: s.recordsDecoded,
      records_skipped: skipped,
      bytes_read: this.totalBytes,
      connections: s.totalConnections + this.absorbed.connections,
      connections_evicted: s.evictedConnections + this.absorbed.connectionsEvicted,
      bad_transport_checksums: s.badTransportChecksums + this.absorbed.badTransportChecksums,
      late_packets: s.latePackets, // every partition sees every packet's time: this one's count is the run's
      fragments_pending: s.fragmentsPending,
      fragments: Object.fromEntries(FRAGMENT_COUNTERS.map((n, i) => [n, s.fragments[i]]).filter(([, v]) => v !== 0)),
    };
    if (skipped.unsupported_link_type) out.unsupported_link_type = s.unsupportedLink;
    // (after absorb(), the other partitions' uncounted connections are in this core's overflow row)
    if (s.uncountedConnections > 0) out.connections_uncounted = s.uncountedConnections;
    return out;
  }

  /** Exact top n rows (0: all), sorted by the metric descending, then by key. */
  top(n = 10, metric: Metric = "conns"): TopRow[] {
    if (this.metrics && !this.metrics.includes(metric)) throw new Error(`top(): metric "${metric}" was not kept (EngineOptions.metrics)`);
    const raw = this.core.top(n, METRICS.indexOf(metric));
    return raw.map(({ key, conns, pkts, bytes }) => {
      const row: TopRow = { conns, pkts, bytes };
      for (const f of this.by) {
        if (f === "src") row.src = formatAddr(key[0], key, 1);
        else if (f === "dst") row.dst = formatAddr(key[17], key, 18);
        else if (f === "dport") {
          row.dport = (key[34] << 8) | key[35];
          row.transport = key[36];
          row.proto = TRANSPORTS[key[36]];
        } else if (f === "service") {
          row.service = analyzerName(key[37]);
          row.tag = analyzerTag(key[37]);
        }
      }
      return row;
    });
  }
}

/** A partition's share of a limit on live connections (0: none). */
function partitionShare(limit: number, count: number): number {
  return limit === 0 ? 0 : Math.ceil(limit / count);
}

/** Sync helper: run a whole Buffer through a new engine, in chunks of `chunkSize` bytes. */
export function runBuffer(buf: Uint8Array, options: EngineOptions = {}, chunkSize = 1 << 20): { engine: Engine; file: FileResult } {
  const engine = new Engine(options);
  engine.beginFile();
  for (let off = 0; off < buf.length; off += chunkSize) {
    if (!engine.write(buf.subarray(off, Math.min(buf.length, off + chunkSize)))) break;
  }
  const file = engine.endFile("buffer");
  engine.end();
  return { engine, file };
}
