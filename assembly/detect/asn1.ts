// Minimal BER/DER reading for the ASN.1-based analyzers (SNMP, Kerberos, LDAP): one element's tag,
// length and header size at an offset.

/** Results of berAt(). */
export let berTag: u32 = 0;
export let berLen: u32 = 0;
export let berHdr: u32 = 0;

/** Reads the element at p+off (n bytes in all); false if its header does not fit or is malformed. */
export function berAt(p: usize, n: u32, off: u32): bool {
  if (off + 2 > n) return false;
  berTag = <u32>load<u8>(p + off);
  if ((berTag & 0x1f) == 0x1f) return false; // high tag numbers: not used by these protocols' headers
  let l = <u32>load<u8>(p + off + 1);
  let h: u32 = 2;
  if (l & 0x80) {
    const k = l & 0x7f;
    if (k == 0 || k > 4 || off + 2 + k > n) return false;
    l = 0;
    for (let i: u32 = 0; i < k; i++) l = (l << 8) | <u32>load<u8>(p + off + 2 + i);
    h += k;
  }
  berLen = l;
  berHdr = h;
  return true;
}

/** Does the element at off (just read by berAt) lie within n bytes? */
export function berFits(n: u32, off: u32): bool {
  return <u64>off + <u64>berHdr + <u64>berLen <= <u64>n;
}
