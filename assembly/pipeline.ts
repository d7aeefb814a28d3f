// One record from the framer -> decoded packet view -> connection table.
import { countRecord, countDecoded, countSkip } from "./stats";
import { setRecord } from "./packet";
import { decodePacket, DECODED } from "./decode/link";
import { fragmentsNextRecord } from "./decode/fragments";
import { flowPacket } from "./flow/table";

export function onRecord(linkType: u32, ts: i64, data: usize, capLen: u32, wireLen: u32): void {
  countRecord(capLen);
  setRecord(ts, capLen, wireLen);
  fragmentsNextRecord(); // buffers of datagrams reassembled for the previous record are free again
  const outcome = decodePacket(linkType, data, capLen, wireLen);
  if (outcome == DECODED) {
    countDecoded();
    flowPacket();
  } else {
    countSkip(outcome);
  }
}
