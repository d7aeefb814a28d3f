// One record from the framer -> decoded packet view -> connection table, then the packets it
// carries through UDP tunnels, outer first (Zeek processes the outer UDP packet's connection before
// forwarding its payload to the tunnel analyzer).
//
// Accounting: a record is decoded once it yields a packet for flow/ (the outermost one that is a
// connection; IP tunnels are decoded inside decode/), else skipped for one reason; inner packets of
// UDP tunnels are part of the record that carried them.
import { countRecord, countDecoded, countSkip } from "./stats";
import { setRecord, ipProto } from "./packet";
import { decodePacket, DECODED } from "./decode/link";
import { fragmentsNextRecord } from "./decode/fragments";
import { tunnelsNextRecord, udpTunnelFind, decodeTunnelInner } from "./decode/tunnels";
import { flowPacket, flowTime, lastConnSerial, liveConnections, presetKeyHash } from "./flow/table";
import { warmBatch, warmedHash, MAX_BATCH } from "./flow/warm";
import { warming, WARM_AUTO, WARM_ALWAYS } from "./config";
import { noteEmptyRecord } from "./capture/joined";

// Records are taken in batches so that warm.ts can start their table lookups' cache misses
// together; the framer's buffer stays in place until flushRecords() has run.
const BATCH: u32 = MAX_BATCH;
const links: usize = memory.data(<i32>BATCH * 4);
const datas: usize = memory.data(<i32>BATCH * 4);
const caps: usize = memory.data(<i32>BATCH * 4);
const wires: usize = memory.data(<i32>BATCH * 4);
const stamps: usize = memory.data(<i32>BATCH * 8);
let pending: u32 = 0;
const WARM_FROM: u64 = 16384; // live connections (7 MiB of records) before warming pays

// @ts-ignore: decorator
@inline export function onRecord(linkType: u32, ts: i64, data: usize, capLen: u32, wireLen: u32): void {
  const at = <usize>pending << 2;
  store<u32>(links + at, linkType);
  store<u32>(datas + at, <u32>data);
  store<u32>(caps + at, capLen);
  store<u32>(wires + at, wireLen);
  store<i64>(stamps + (<usize>pending << 3), ts);
  if (++pending == BATCH) flushRecords();
}

/** Process the records taken so far, in order. Called when the batch is full and before the
 *  framer's buffer moves (after every framer run). */
export function flushRecords(): void {
  const n = pending;
  if (n == 0) return;
  pending = 0;
  // a small table stays in the caches: warming would only cost
  const warm = warming == WARM_AUTO ? n > 2 && liveConnections >= WARM_FROM : warming == WARM_ALWAYS;
  if (warm) warmBatch(links, datas, caps, n);
  for (let i: u32 = 0; i < n; i++) {
    const at = <usize>i << 2;
    processRecord(load<u32>(links + at), load<i64>(stamps + (<usize>i << 3)),
      <usize>load<u32>(datas + at), load<u32>(caps + at), load<u32>(wires + at), warm ? warmedHash(i) : 0);
  }
}

/** keyHash: the key hash warm.ts computed for the record's first packet that is a connection (the
 *  outermost one, or the one inside GRE or IP-in-IP), when TCP or UDP; else 0. */
function processRecord(linkType: u32, ts: i64, data: usize, capLen: u32, wireLen: u32, keyHash: u64): void {
  presetKeyHash(keyHash); // for this record's first flowPacket only, whether or not it comes
  countRecord(capLen);
  // Zeek drops a record of no bytes before it moves network time (empty_pcap_header)
  if (capLen != 0 && wireLen != 0) flowTime(ts);
  setRecord(ts, capLen, wireLen);
  fragmentsNextRecord();
  tunnelsNextRecord();
  const outcome = decodePacket(linkType, data, capLen, wireLen);
  if (outcome != DECODED) {
    countSkip(outcome);
    if (capLen == 0) noteEmptyRecord(data); // captures joined with cat? (capture/joined.ts)
    return;
  }
  countDecoded();
  // A packet not taken (another partition's, config.ts) carries no tunnel here. At most
  // Tunnel::max_depth encapsulations: udpTunnelFind refuses beyond, so this ends.
  if (!flowPacket()) return;
  while (ipProto == 17) {
    const outer = lastConnSerial();
    if (!udpTunnelFind()) break;
    if (decodeTunnelInner(outer) != DECODED) break;
    if (!flowPacket()) break;
  }
}
