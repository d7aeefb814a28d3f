// SNMP (Zeek: src/analyzer/protocol/snmp, binpac with ASN.1). A message is SEQUENCE { version
// INTEGER (0, 1 or 3), then community OCTET STRING and a PDU (v1/v2c) or the v3 header }; one that
// parses confirms, anything else is a violation.
import { aConfirm, aViolate } from "./ctx";
import { berAt, berFits, berTag, berLen, berHdr } from "./asn1";

export function snmpInit(st: usize): void {}

export function snmpDatagram(st: usize, isOrig: bool, p: usize, n: u32): void {
  if (!berAt(p, n, 0) || berTag != 0x30 || !berFits(n, 0)) { aViolate(); return; }
  let off = berHdr;
  if (!berAt(p, n, off) || berTag != 0x02 || berLen == 0 || berLen > 4 || !berFits(n, off)) { aViolate(); return; }
  const version = <u32>load<u8>(p + off + berHdr + berLen - 1);
  off += berHdr + berLen;
  if (version == 0 || version == 1) {
    if (!berAt(p, n, off) || berTag != 0x04 || !berFits(n, off)) { aViolate(); return; }
    off += berHdr + berLen;
    if (!berAt(p, n, off) || (berTag & 0xe0) != 0xa0 || !berFits(n, off)) { aViolate(); return; }
  } else if (version == 3) {
    if (!berAt(p, n, off) || berTag != 0x30 || !berFits(n, off)) { aViolate(); return; }
  } else {
    aViolate();
    return;
  }
  aConfirm();
}
