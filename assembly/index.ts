// The only wasm ABI. JS copies a chunk to writePtr(), calls feed(n), and reads results in batches.
// Only integers and f64 cross the boundary; u64 counters are exported as f64 (exact below 2^53).
import { flushRecords } from "./pipeline";
import { joinedAfterFeed, joinedReset } from "./capture/joined";
import { framerReset, framerRun, framerNeed, framerFinish, framerStarted } from "./capture/framer";
import { errCode, errOffset, errDetail, resetError, setError, ERR_NONE, ERR_RECORD_LEN } from "./errors";
import { resetStats, badTransportChecksums, recordsRead, recordsDecoded, bytesInRecords, skippedCount, lastUnsupportedLink } from "./stats";
import { setIgnoreChecksums, setDetectProtocols, setWarming, setPartition, WARM_ALWAYS, WARM_NEVER, WARM_AUTO } from "./config";
import { fragmentsReset, fragsPending, fragCounter } from "./decode/fragments";
import { tunnelsReset } from "./decode/tunnels";
import { warmedRecords, warmedTunnelled, warmingReset } from "./flow/warm";
import { releasedEarly, detectRecordsInUse } from "./detect/registry";
import { poolBytesInUse } from "./detect/pool";
import { holesInUse } from "./flow/holes";
import { flowReset, flowFinishSome, flowTime, networkTime, setMaxConnections, setDetectionBudget, evictedConnections, liveConnections, ownConnections, latePackets } from "./flow/table";
import { eventsReset, eventsPtr, eventsClear, eventsLength as eventBytes } from "./events";
import { recordsReset, recordsPtr, recordsClear, recordsLength as recordBytes } from "./records";
import { setCountTraffic, countersReset, counterRows, topSelect, topRowPtr, ROW_SIZE, KEY_SIZE, countersMerge, counterRowCount, rowsSegment, ROWS_PER_SEGMENT, setServiceRank, setMaxRows, uncountedConnections } from "./top/counters";

/** Largest record or block we accept (pcapng blocks can be large; pcap records are <= 256 KiB). */
const MAX_INPUT: u32 = 16 << 20;
const INITIAL_INPUT: u32 = 1 << 20;

let inputPtr: usize = 0;
let inputCap: u32 = 0;
let carried: u32 = 0;      // unconsumed bytes at the start of the input region
let streamBase: u64 = 0;   // absolute offset of inputPtr[0]

/** Start a run. flags bit 0: ignore checksums; bit 1: write conn records (records.ts); bit 2: run protocol detection; bit 3: keep only connection counts per row (no packets/bytes); bit 4: warm every batch, bit 5: none (flow/warm.ts; for tests and measurements). byMask: which key fields the counters use (top/counters.ts). */
export function init(flags: u32, byMask: u32, eventKinds: u32): void {
  if (inputPtr == 0) {
    inputPtr = heap.alloc(INITIAL_INPUT);
    inputCap = INITIAL_INPUT;
  }
  resetStats();
  setIgnoreChecksums((flags & 1) != 0);
  setDetectProtocols((flags & 4) != 0);
  setCountTraffic((flags & 8) == 0);
  setWarming((flags & 16) != 0 ? WARM_ALWAYS : (flags & 32) != 0 ? WARM_NEVER : WARM_AUTO);
  setPartition(0, 1);
  beginFile();
  fragmentsReset();
  tunnelsReset();
  flowReset();
  warmingReset();
  countersReset(byMask);
  eventsReset(eventKinds);
  recordsReset((flags & 2) != 0);
}

/** Where JS writes the next bytes, and how many fit. Read both again after every feed(). */
export function writePtr(): usize { return inputPtr + carried; }
export function writeSpace(): u32 { return inputCap - carried; }

/** n bytes were written at writePtr(). Processes every complete record. Returns the error code (0: none). */
export function feed(n: u32): i32 {
  if (errCode != ERR_NONE) return errCode;
  const len = carried + n;
  const used = framerRun(inputPtr, len, streamBase);
  flushRecords();
  joinedAfterFeed(inputPtr, len, used, streamBase);
  const rest = len - used;
  if (rest > 0 && used > 0) memory.copy(inputPtr, inputPtr + used, rest);
  carried = rest;
  streamBase += used;
  if (errCode == ERR_NONE && carried == inputCap) growInput();
  return errCode;
}

/** The pending record does not fit: make room for it, or call it impossible. */
function growInput(): void {
  const need = framerNeed();
  if (need > MAX_INPUT) {
    // framer should have refused it already; be safe
    resetError();
    errorAt(ERR_RECORD_LEN, need);
    return;
  }
  let cap = inputCap << 1;
  while (cap < need) cap <<= 1;
  if (cap > MAX_INPUT) cap = MAX_INPUT;
  const bigger = heap.alloc(cap);
  memory.copy(bigger, inputPtr, carried);
  heap.free(inputPtr);
  inputPtr = bigger;
  inputCap = cap;
}

function errorAt(code: i32, detail: u32): void {
  setError(code, streamBase, <u64>detail);
}

/** A new capture file starts (several files are read as one capture: flows carry on). */
export function beginFile(): void {
  carried = 0;
  streamBase = 0;
  resetError();
  framerReset();
  joinedReset();
}

/** End of the current file: report a record cut by the end. Returns the file's error code. */
export function endFile(): i32 {
  if (errCode == ERR_NONE) framerFinish(carried, streamBase);
  return errCode;
}

/** Live input idle: advance network time to ts (ns, as f64) and fire due timers. */
export function currentTime(): f64 { return <f64>networkTime(); }
export function advance(ts: f64): void {
  flowTime(<i64>ts);
}

/** End of input: up to `batch` live connections end; returns how many are still live (call again after draining). */
export function finish(batch: u32): f64 {
  return <f64>flowFinishSome(batch);
}

// ---- events: drained by JS after every feed() and after finish() ----
/** Bytes of events waiting at eventsStart() (EVENT_SIZE each, see events.ts). */
export function eventsLength(): u32 { return eventBytes(); }
export function eventsStart(): usize { return eventsPtr(); }
export function eventsDrained(): void { eventsClear(); }

/** Bytes of conn records waiting at recordsStart() (CONN_RECORD_SIZE each, see records.ts). */
export function recordsLength(): u32 { return recordBytes(); }
export function recordsStart(): usize { return recordsPtr(); }
export function recordsDrained(): void { recordsClear(); }

// ---- results ----
export function started(): bool { return framerStarted(); }
export function errorCode(): i32 { return errCode; }
export function errorOffset(): f64 { return <f64>errOffset; }
export function errorDetail(): f64 { return <f64>errDetail; }
export function bytesConsumed(): f64 { return <f64>streamBase; }
export function statRecordsRead(): f64 { return <f64>recordsRead; }
export function statRecordsDecoded(): f64 { return <f64>recordsDecoded; }
export function statBytesInRecords(): f64 { return <f64>bytesInRecords; }
export function statSkipped(reason: i32): f64 { return <f64>skippedCount(reason); }
export function statUnsupportedLink(): u32 { return lastUnsupportedLink; }
export function statLiveConnections(): f64 { return <f64>liveConnections; }
export function statTotalConnections(): f64 { return <f64>ownConnections(); }
export function statEvictedConnections(): f64 { return <f64>evictedConnections; }
export function statBadTransportChecksums(): f64 { return <f64>badTransportChecksums; }
export function statLatePackets(): f64 { return <f64>latePackets; }
/** Fragments held, waiting for the rest of their datagram. */
export function statFragmentsHeld(): u32 { return fragsPending(); }
/** Fragment counters (decode/fragments.ts FC_*: held, reassembled, evicted, expired, weirds). */
export function statFragments(i: i32): f64 { return fragCounter(i); }
/** Records whose table entries flow/warm.ts keyed ahead (a diagnostic: no result depends on it). */
export function statWarmedRecords(): f64 { return <f64>warmedRecords; }
/** Packets inside UDP tunnels whose table entries flow/warm.ts loaded ahead (a diagnostic). */
export function statWarmedTunnelled(): f64 { return <f64>warmedTunnelled; }
/** Connections whose protocol detection ended early, nothing left for the output to see (detect/registry.ts nothingToLearn; a diagnostic). */
export function statReleasedEarly(): f64 { return <f64>releasedEarly; }
/** Records of detect/pool.ts's pools (detection state, holes) not returned: 0 after the end. For tests. */
export function statPoolRecordsInUse(): u32 { return detectRecordsInUse() + <u32>abs<i32>(holesInUse()); }
/** This run keeps partition `index` of `count` (config.ts): the connections whose key hash falls
 *  there. Call after init(), before the first feed(). */
export function partition(index: u32, count: u32): void { setPartition(index, count); }
/** Limit on live connections (0: none); at the limit the connection whose timer comes first ends. */
export function limitConnections(n: u32): void { setMaxConnections(n); }
/** Bytes the live connections' buffers may hold (detect/pool.ts: protocol detection's, conn
 *  records' holes; default 1 GiB): past them the connections whose timers come first end, as at
 *  the connection limit. */
export function limitDetectionMemory(bytes: f64): void { setDetectionBudget(<u64>bytes); }
/** Most distinct keys of the counter rows (default 2^24); past them a new key's connections are
 *  in no row, and counted apart (top/counters.ts). */
export function limitRows(n: u32): void { setMaxRows(n); }
/** Connections whose key came past that bound: in no row. */
export function statUncountedConnections(): f64 { return <f64>uncountedConnections(); }
/** Bytes the live connections' buffers hold now (detect/pool.ts). For tests. */
export function statDetectionBytes(): f64 { return <f64>poolBytesInUse; }

/** Number of counter rows with a non-zero metric. */
export function rows(): u32 { return counterRows(); }
/** Select the top n rows (0: all) by metric (0 conns, 1 pkts, 2 bytes); returns how many were selected. */
export function top(n: u32, metric: u32): u32 { return topSelect(n, metric); }
/** Analyzer `id` is the `rank`-th name in the order services are output in (ties of the metric). */
export function serviceRank(id: u32, rank: u32): void { setServiceRank(id, rank); }
/** Pointer to selected row i: KEY_SIZE key bytes, then conns, pkts, bytes as f64. */
export function topRow(i: u32): usize { return topRowPtr(i); }
export function rowSize(): u32 { return ROW_SIZE; }
export function keySize(): u32 { return KEY_SIZE; }

// ---- partitions: the other partitions' rows are added to this one's before top() ----
/** Rows in the table (with or without connections), in segments of rowsPerSegment() rows. */
export function rowCount(): u32 { return counterRowCount(); }
export function rowsPerSegment(): u32 { return ROWS_PER_SEGMENT; }
/** Where segment i's rows start (ROW_SIZE bytes each: the key, then conns, pkts, bytes as u64). */
export function rowsAt(i: u32): usize { return rowsSegment(i); }
/** Once the input has ended, the whole input region takes the rows to merge: mergeSpace() bytes
 *  at mergePtr() (bytes a cut record left there are of no use any more). */
export function mergePtr(): usize { return inputPtr; }
export function mergeSpace(): u32 { return inputCap; }
/** Adds the n rows (that layout) that JS wrote at mergePtr() to this table's rows. */
export function mergeRows(n: u32): void { countersMerge(inputPtr, n); }
