// SSH and FTP in a run without protocol detection (`top` without a service key, `events` without
// confirmations). Zeek raises a TCP connection's inactivity timeout from 5 minutes to an hour when
// its SSH or FTP analyzer confirms, and that decides when an idle session ends, so how many
// connections are counted. Those two are detected here as in a run with detection
// (registry.ts, with their signatures only), but only on the connections that can have them:
// - on their ports (21, 2811, 22), where Zeek attaches their analyzers, from the start;
// - elsewhere a signature must enable them, and SSH's and FTP's start at a stream's first byte.
//   Until the connection's first payload a probe keeps what detection would have kept of the TCP
//   headers (registry.ts tcpHeader: 12 bytes, on the record's line 2), and that payload decides:
//   detection starts there, with the probe's header, only if it could begin SSH's banner, or, the
//   responder's, FTP's greeting. Most connections never allocate detection state.
// Not followed, and so not exact: an FTP session on another port whose client speaks before its
// server's greeting (FTP's client signature may match anywhere in the client's first kilobyte:
// following that would mean buffering every client's first payload).
import * as C from "../flow/conn";
import * as P from "../packet";
import { A_SSH, A_FTP } from "./analyzers";
import { portAnalyzer } from "./ports";
import { detectStart, detectFrom, detectPacket, tcpHeader, flipHeader, dataSeqOf } from "./registry";
import { H_FLAGS, H_SEQ_O, H_SEQ_R, DF_TCP, DF_INIT_O, DF_INIT_R, DF_EOF_O, DF_EOF_R } from "./ctx";
import { sigAutomaton } from "./sigs";
import { dfaRun, dfaMatched, DFA_START, DFA_DEAD } from "./regex";

/** A TCP connection was created (roles set). */
export function sshFtpStart(idx: u32, r: usize): void {
  const a = portAnalyzer(6, <u32>load<u16>(r + C.C_RESP_PORT));
  if (a == A_SSH || a == A_FTP) {
    detectStart(idx, r); // attaches that analyzer, the port's only one
    return;
  }
  const h = r + C.C_PROBE;
  store<u32>(h + H_FLAGS, DF_TCP);
  store<u32>(h + H_SEQ_O, 0);
  store<u32>(h + H_SEQ_R, 0);
  store<u8>(r + C.C_FLAGS, load<u8>(r + C.C_FLAGS) | C.F_PROBE);
}

/** A counted packet of a probed connection (payload in packet.ts); isOrig after any flip. */
export function probePacket(idx: u32, r: usize, isOrig: bool): void {
  const h = r + C.C_PROBE;
  const fl = P.tcpFlags;
  const n = P.payloadLen;
  // no stream data: the header only (a RST's data is not part of the stream either)
  if ((fl & P.TCP_RST) != 0 || n == 0 && (fl & P.TCP_FIN) == 0) {
    tcpHeader(h, isOrig, 0);
    return;
  }
  // where this direction's stream starts, once this packet's header is taken into account
  const initBit = isOrig ? DF_INIT_O : DF_INIT_R;
  const data = dataSeqOf();
  const f = load<u32>(h + H_FLAGS);
  const start = (f & initBit) == 0 || (fl & P.TCP_SYN) != 0 ? data : load<u32>(h + (isOrig ? H_SEQ_O : H_SEQ_R));
  const rel = <i32>(data - start);
  if (n == 0 && rel <= 0) {
    // a FIN without data: at the stream's start it ends the stream; an older one does nothing
    tcpHeader(h, isOrig, 0);
    if (rel == 0) store<u32>(h + H_FLAGS, load<u32>(h + H_FLAGS) | (isOrig ? DF_EOF_O : DF_EOF_R));
    return;
  }
  store<u8>(r + C.C_FLAGS, load<u8>(r + C.C_FLAGS) & ~C.F_PROBE);
  // the stream's first bytes (the data before them trimmed), and no signature of SSH's or FTP's
  // can follow them: the connection never detects
  const skip = <u32>(-rel);
  if (n > 0 && rel <= 0 && skip < P.payloadCapLen && skip < n &&
      !mayOpen(isOrig, P.payloadPtr + <usize>skip, P.payloadCapLen - skip)) return;
  // the stream's start, a segment past a hole, or a FIN past one: detection takes over from here
  detectFrom(r, h);
  detectPacket(idx, r, isOrig);
}

/** The roles of a probed connection flipped. */
export function probeFlip(r: usize): void {
  flipHeader(r + C.C_PROBE);
}

/**
 * Could a stream starting with these n bytes lead to SSH or FTP? Every signature that enables them
 * needs the responder's first bytes to match (dpd_ssh_client requires dpd_ssh_server, and
 * dpd_ftp_server is the responder's): its automaton says whether they can. The originator's first
 * bytes can only be SSH's banner (see the top of this file for FTP's).
 */
function mayOpen(isOrig: bool, p: usize, n: u32): bool {
  if (isOrig) return sshBannerStart(p, n);
  dfaMatched = 0;
  return dfaRun(sigAutomaton(0, 1), DFA_START, p, n) != DFA_DEAD || dfaMatched != 0;
}

/** Do the n bytes at p begin as dpd_ssh_client's /^[sS][sS][hH]-[12]\./ (or are too few to say)? */
function sshBannerStart(p: usize, n: u32): bool {
  for (let i: u32 = 0; i < n && i < 6; i++) {
    const c = <u32>load<u8>(p + i);
    const ok = i == 0 || i == 1 ? (c | 0x20) == 0x73 // s
      : i == 2 ? (c | 0x20) == 0x68                    // h
      : i == 3 ? c == 0x2d                             // -
      : i == 4 ? c == 0x31 || c == 0x32                // 1 or 2
      : c == 0x2e;                                     // .
    if (!ok) return false;
  }
  return true;
}
