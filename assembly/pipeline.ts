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
import { flowPacket, lastConnSerial } from "./flow/table";

export function onRecord(linkType: u32, ts: i64, data: usize, capLen: u32, wireLen: u32): void {
  countRecord(capLen);
  setRecord(ts, capLen, wireLen);
  fragmentsNextRecord();
  tunnelsNextRecord();
  const outcome = decodePacket(linkType, data, capLen, wireLen);
  if (outcome != DECODED) {
    countSkip(outcome);
    return;
  }
  countDecoded();
  flowPacket();
  // At most Tunnel::max_depth encapsulations: udpTunnelFind refuses beyond, so this ends.
  while (ipProto == 17) {
    const outer = lastConnSerial();
    if (!udpTunnelFind(outer)) break;
    if (decodeTunnelInner(outer) != DECODED) break;
    flowPacket();
  }
}
