// Zeek's ICMP connection ports: orig_p = type, resp_p = the counterpart type, or the code for a
// type without counterpart (then the key is one-way: each direction is its own connection).

/** Counterpart of an ICMPv4 type, or -1. */
function counterpart4(t: u32): i32 {
  switch (t) {
    case 8: return 0;   case 0: return 8;     // echo
    case 13: return 14; case 14: return 13;   // timestamp
    case 15: return 16; case 16: return 15;   // information
    case 10: return 9;  case 9: return 10;    // router solicitation / advertisement
    case 17: return 18; case 18: return 17;   // address mask
  }
  return -1;
}

/** Counterpart of an ICMPv6 type, or -1. */
function counterpart6(t: u32): i32 {
  switch (t) {
    case 128: return 129; case 129: return 128; // echo
    case 133: return 134; case 134: return 133; // router solicitation / advertisement
    case 135: return 136; case 136: return 135; // neighbor solicitation / advertisement
    case 130: return 131; case 131: return 130; // multicast listener query / report
    case 139: return 140; case 140: return 139; // node information query / response
    case 144: return 145; case 145: return 144; // home agent address discovery
  }
  return -1;
}

/** resp_p for an ICMP packet of this type/code; sets oneWay when the type has no counterpart. */
export let icmpOneWay: bool = false;
export function icmpRespPort(isV6: bool, type: u32, code: u32): u32 {
  const c = isV6 ? counterpart6(type) : counterpart4(type);
  icmpOneWay = c < 0;
  return c < 0 ? code : <u32>c;
}
