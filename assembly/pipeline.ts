// One record from the framer -> decoded packet view -> connection table.
import { countRecord, countDecoded, countSkip } from "./stats";
import { setRecord } from "./packet";
import { decodePacket, DECODED } from "./decode/link";
import { flowPacket } from "./flow/table";

export function onRecord(linkType: u32, ts: i64, data: usize, capLen: u32, wireLen: u32): void {
  countRecord(capLen);
  setRecord(ts, capLen, wireLen);
  const outcome = decodePacket(linkType, data, capLen, wireLen);
  if (outcome == DECODED) {
    countDecoded();
    flowPacket();
  } else {
    countSkip(outcome);
  }
}
