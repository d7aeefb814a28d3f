// Zeek's dynamic protocol detection signatures (the dpd.sig files of the default scripts), as data.
// Each signature: transport, which endpoint's payload it applies to (`tcp-state originator` /
// `responder`, or either), its payload pattern, the signature that must have matched in the other
// direction first (`requires-reverse-signature`), and the analyzer it enables (0: none).
import * as A from "./analyzers";
import { autoBegin, autoAdd, autoFinish } from "./regex";

export const SIG_ANY: u8 = 0;
export const SIG_ORIG: u8 = 1;
export const SIG_RESP: u8 = 2;

/** Conditions beyond the pattern. */
export const COND_NONE: u8 = 0;
export const COND_SIZE_1232: u8 = 1; // payload-size == 1232 (rdpeudp)

class Sig {
  constructor(
    public name: string,
    public dir: u8,
    public pattern: string,
    public reverse: string,
    public enable: u32,
    public cond: u8 = COND_NONE,
  ) {}
}

// ---------------------------------------------------------------- TCP (at most 64)
const TCP_SIGS: Sig[] = [
  // http/dpd.sig
  new Sig("dpd_http_client", SIG_ORIG, "^[[:space:]]*(OPTIONS|GET|HEAD|POST|PUT|DELETE|TRACE|CONNECT|PROPFIND|PROPPATCH|MKCOL|COPY|MOVE|LOCK|UNLOCK|VERSION-CONTROL|REPORT|CHECKOUT|CHECKIN|UNCHECKOUT|MKWORKSPACE|UPDATE|LABEL|MERGE|BASELINE-CONTROL|MKACTIVITY|ORDERPATCH|ACL|PATCH|SEARCH|BCOPY|BDELETE|BMOVE|BPROPFIND|BPROPPATCH|NOTIFY|POLL|SUBSCRIBE|UNSUBSCRIBE|X-MS-ENUMATTS|RPC_OUT_DATA|RPC_IN_DATA)[[:space:]]*", "", 0),
  new Sig("dpd_http_server", SIG_RESP, "^HTTP\\/[0-9]", "dpd_http_client", A.A_HTTP),
  // ssl/dpd.sig
  new Sig("dpd_tls_server", SIG_ANY, "^(\\x15\\x03[\\x00\\x01\\x02\\x03]....)?\\x16\\x03[\\x00\\x01\\x02\\x03]..\\x02...((\\x03[\\x00\\x01\\x02\\x03\\x04])|(\\x7F[\\x00-\\x50])).*", "", A.A_SSL),
  new Sig("dpd_tls_client", SIG_ANY, "^\\x16\\x03[\\x00\\x01\\x02\\x03]..\\x01...\\x03[\\x00\\x01\\x02\\x03].*", "", A.A_SSL),
  // ftp/dpd.sig
  new Sig("dpd_ftp_client", SIG_ORIG, "(|.*[\\n\\r]) *[uU][sS][eE][rR] ", "", 0),
  new Sig("dpd_ftp_server", SIG_RESP, "[\\n\\r ]*(120|220)[^0-9].*[\\n\\r] *(230|331)[^0-9]", "dpd_ftp_client", A.A_FTP),
  // irc/dpd.sig
  new Sig("irc_client1", SIG_ORIG, "(|.*[\\r\\n]) *[Uu][Ss][Ee][Rr] +.+[\\n\\r]+ *[Nn][Ii][Cc][Kk] +.*[\\r\\n]", "irc_server_reply", A.A_IRC),
  new Sig("irc_client2", SIG_ORIG, "(|.*[\\r\\n]) *[Nn][Ii][Cc][Kk] +.+[\\r\\n]+ *[Uu][Ss][Ee][Rr] +.+[\\r\\n]", "irc_server_reply", A.A_IRC),
  new Sig("irc_server_reply", SIG_RESP, "^(|.*[\\n\\r])(:[^ \\n\\r]+ )?[0-9][0-9][0-9] ", "", 0),
  new Sig("irc_server_to_server1", SIG_ANY, "(|.*[\\r\\n]) *[Ss][Ee][Rr][Vv][Ee][Rr] +[^ ]+ +[0-9]+ +:.+[\\r\\n]", "", 0),
  new Sig("irc_server_to_server2", SIG_ANY, "(|.*[\\r\\n]) *[Ss][Ee][Rr][Vv][Ee][Rr] +[^ ]+ +[0-9]+ +:.+[\\r\\n]", "irc_server_to_server1", A.A_IRC),
  // pop3/dpd.sig
  new Sig("dpd_pop3_server", SIG_RESP, "^\\+OK", "dpd_pop3_client", A.A_POP3),
  new Sig("dpd_pop3_client", SIG_ORIG, "(|.*[\\r\\n])[[:space:]]*([uU][sS][eE][rR][[:space:]]|[aA][pP][oO][pP][[:space:]]|[cC][aA][pP][aA]|[aA][uU][tT][hH]|[sS][tT][lL][sS])", "", 0),
  // smtp/dpd.sig
  new Sig("dpd_smtp_client", SIG_ORIG, "(|.*[\\n\\r])[[:space:]]*([hH][eE][lL][oO]|[eE][hH][lL][oO])", "dpd_smtp_server", A.A_SMTP),
  new Sig("dpd_smtp_server", SIG_RESP, "^[[:space:]]*220[[:space:]-]", "", 0),
  // ssh/dpd.sig
  new Sig("dpd_ssh_client", SIG_ORIG, "^[sS][sS][hH]-[12]\\.", "dpd_ssh_server", A.A_SSH),
  new Sig("dpd_ssh_server", SIG_RESP, "^[sS][sS][hH]-[12]\\.", "", 0),
  // dce-rpc/dpd.sig
  new Sig("dpd_dce_rpc", SIG_ANY, "^\\x05[\\x00\\x01][\\x00-\\x13]", "", A.A_DCE_RPC),
  // dnp3/dpd.sig
  new Sig("dpd_dnp3_server", SIG_RESP, "\\x05\\x64", "", A.A_DNP3_TCP),
  // rdp/dpd.sig
  new Sig("dpd_rdp_client", SIG_ANY, ".*(Cookie: mstshash\\=|Duca.*(rdpdr|rdpsnd|drdynvc|cliprdr))", "dpd_rdp_server", A.A_RDP),
  new Sig("dpd_rdp_server", SIG_ANY, "(.{5}\\xd0|.*McDn)", "", 0),
  // rfb/dpd.sig
  new Sig("dpd_rfb_server", SIG_ANY, "^RFB", "dpd_rfb_client", A.A_RFB),
  new Sig("dpd_rfb_client", SIG_ORIG, "^RFB", "", 0),
  // socks/dpd.sig
  new Sig("dpd_socks4_client", SIG_ORIG, "^\\x04[\\x01\\x02].{0,32}\\x00", "", 0),
  new Sig("dpd_socks4_server", SIG_RESP, "^\\x00[\\x5a\\x5b\\x5c\\x5d]", "dpd_socks4_client", A.A_SOCKS),
  new Sig("dpd_socks4_reverse_client", SIG_RESP, "^\\x04[\\x01\\x02].{0,32}\\x00", "", 0),
  new Sig("dpd_socks4_reverse_server", SIG_ORIG, "^\\x00[\\x5a\\x5b\\x5c\\x5d]", "dpd_socks4_reverse_client", A.A_SOCKS),
  new Sig("dpd_socks5_client", SIG_ORIG, "^\\x05.[\\x00\\x01\\x02]", "", 0),
  new Sig("dpd_socks5_server", SIG_RESP, "^\\x05(\\x00|\\x01[\\x00\\x01\\x02])", "dpd_socks5_client", A.A_SOCKS),
  // xmpp/dpd.sig
  new Sig("dpd_xmpp", SIG_ANY, "^(<\\?xml[^?>]*\\?>)?[\\n\\r ]*<stream:stream [^>]*xmlns='jabber:", "", A.A_XMPP),
  // smb/dpd.sig
  new Sig("dpd_smb", SIG_ANY, "^....[\\xfe\\xff]SMB", "", A.A_SMB),
  // krb/dpd.sig
  new Sig("dpd_krb_tcp_requests", SIG_ANY, ".{4}(\\x6a|\\x6c).{1,4}\\x30.{1,4}\\xa1\\x03\\x02\\x01\\x05\\xa2\\x03\\x02\\x01", "", A.A_KRB_TCP),
  new Sig("dpd_krb_tcp_replies", SIG_ANY, ".{4}(\\x6b|\\x6d|\\x7e).{1,4}\\x30.{1,4}\\xa0\\x03\\x02\\x01\\x05\\xa1\\x03\\x02\\x01", "", A.A_KRB_TCP),
  // ldap/dpd.sig
  new Sig("dpd_ldap_client_tcp", SIG_ANY, "^\\x30.\\x02\\x01.\\x60", "", 0),
  new Sig("dpd_ldap_server_tcp", SIG_ANY, "^\\x30", "dpd_ldap_client_tcp", A.A_LDAP_TCP),
  // postgresql/dpd.sig
  new Sig("dpd_postgresql_client_sslrequest", SIG_ANY, "^\\x00\\x00\\x00\\x08\\x04\\xd2\\x16\\x2f", "", 0),
  new Sig("dpd_postgresql_server_ssl_confirm", SIG_ANY, "^[SN]", "dpd_postgresql_client_sslrequest", A.A_POSTGRESQL),
  new Sig("dpd_postgresql_client_startup_3_x", SIG_ANY, "^....\\x00\\x03\\x00.{0,256}user\\x00", "", 0),
  new Sig("dpd_postgresql_server_any_response", SIG_ANY, "^[a-zA-Z0-9]\\x00\\x00..", "dpd_postgresql_client_startup_3_x", A.A_POSTGRESQL),
  // redis/dpd.sig
  new Sig("resp-client", SIG_ORIG, "^.*\\r\\n", "resp-serialized-server", A.A_REDIS),
  new Sig("resp-serialized-server", SIG_RESP, "^([-+_,].*\\r\\n|[:$*#(!=%`~>][+-]?[0-9]+(\\.[0-9]*)?\\r\\n)", "", A.A_REDIS),
];

// ---------------------------------------------------------------- UDP (at most 64)
const UDP_SIGS: Sig[] = [
  // dhcp/dpd.sig
  new Sig("dhcp_cookie", SIG_ANY, "^.*\\x63\\x82\\x53\\x63", "", A.A_DHCP),
  // ssl/dpd.sig
  new Sig("dpd_dtls_client", SIG_ANY, "^\\x16\\xfe[\\xff\\xfd]\\x00\\x00\\x00\\x00\\x00\\x00\\x00...\\x01...........\\xfe[\\xff\\xfd].*", "", A.A_DTLS),
  // sip/dpd.sig
  new Sig("dpd_sip", SIG_ANY, "^( SIP\\/[0-9]\\.[0-9]\\x0d\\x0a|SIP\\/[0-9]\\.[0-9] [0-9][0-9][0-9] )", "", A.A_SIP),
  // rdp/dpd.sig
  new Sig("dpd_rdpeudp_syn", SIG_ANY, "^\\xff{4}.{2}.{1}\\x01", "", A.A_RDPEUDP, COND_SIZE_1232),
  // quic/dpd.sig
  new Sig("dpd_quic_initial", SIG_ANY, "^[\\xC0-\\xCF]\\x00\\x00\\x00\\x01", "", A.A_QUIC),
  new Sig("dpd_quic_v2_initial", SIG_ANY, "^[\\xD0-\\xDF]\\x6b\\x33\\x43\\xcf", "", A.A_QUIC),
  // krb/dpd.sig
  new Sig("dpd_krb_udp_requests", SIG_ANY, "(\\x6a|\\x6c).{1,4}\\x30.{1,4}\\xa1\\x03\\x02\\x01\\x05\\xa2\\x03\\x02\\x01", "", A.A_KRB),
  new Sig("dpd_krb_udp_replies", SIG_ANY, "(\\x6b|\\x6d|\\x7e).{1,4}\\x30.{1,4}\\xa0\\x03\\x02\\x01\\x05\\xa1\\x03\\x02\\x01", "", A.A_KRB),
  // ldap/dpd.sig
  new Sig("dpd_ldap_client_udp", SIG_ANY, "^\\x30.\\x02\\x01.\\x60", "", 0),
  new Sig("dpd_ldap_server_udp", SIG_ANY, "^\\x30", "dpd_ldap_client_udp", A.A_LDAP_UDP),
];

/** The TCP signatures of SSH and FTP, and those they require: a run without protocol detection
 *  still detects these two, whose confirmation raises a session's inactivity timeout. */
function sshFtpSigs(): Sig[] {
  const keep: Sig[] = [];
  for (let i = 0; i < TCP_SIGS.length; i++) {
    const s = TCP_SIGS[i];
    if (s.enable != A.A_SSH && s.enable != A.A_FTP) continue;
    keep.push(s);
    for (let j = 0; j < TCP_SIGS.length; j++) if (TCP_SIGS[j].name == s.reverse) keep.push(TCP_SIGS[j]);
  }
  return keep;
}

// Compiled tables (0: TCP, 1: UDP, 2: TCP's SSH and FTP signatures only).
const TABLES: u32 = 3;
const sigCount = memory.data(4 * TABLES);            // u32 [3]
const sigDir = memory.data(64 * TABLES);             // u8 [3][64]
const sigEnable = memory.data(64 * TABLES);          // u8 [3][64]
const sigCond = memory.data(64 * TABLES);            // u8 [3][64]
const sigReverse = memory.data(64 * TABLES);         // i8 [3][64]: index of the reverse precondition, -1 none
const sigDependents = memory.data(64 * 8 * TABLES);  // u64 [3][64]: signatures whose precondition this one is
/** Automata: [table][0: payload of the originator, 1: of the responder]. */
const automata = memory.data(8 * TABLES);
/** Tables built: bit 0 TCP's and UDP's, bit 1 SSH's and FTP's. */
let compiled: u32 = 0;
/** The table TCP payload is matched against: 0 with protocol detection, 2 without. */
let tcpTable: u32 = 0;

function compileTable(t: u32, sigs: Sig[]): void {
  if (sigs.length > 62) unreachable(); // a match is a bit of a u64 whose top bit is a row flag
  store<u32>(sigCount + (t << 2), <u32>sigs.length);
  for (let i = 0; i < sigs.length; i++) {
    const s = sigs[i];
    const k = (t << 6) + <u32>i;
    store<u8>(sigDir + k, s.dir);
    store<u8>(sigEnable + k, <u8>s.enable);
    store<u8>(sigCond + k, s.cond);
    let rev = -1;
    if (s.reverse.length > 0) {
      for (let j = 0; j < sigs.length; j++) if (sigs[j].name == s.reverse) rev = j;
      if (rev < 0) unreachable();
      const d = sigDependents + ((<usize>(t << 6) + <usize>rev) << 3);
      store<u64>(d, load<u64>(d) | (<u64>1 << i));
    }
    store<i8>(sigReverse + k, <i8>rev);
  }
  // one automaton per direction holds the patterns that may apply to it
  for (let dir: u32 = 0; dir < 2; dir++) {
    autoBegin();
    for (let i = 0; i < sigs.length; i++) {
      const d = sigs[i].dir;
      if (d == SIG_ANY || (dir == 0 && d == SIG_ORIG) || (dir == 1 && d == SIG_RESP)) autoAdd(sigs[i].pattern, i);
    }
    store<usize>(automata + ((t * 2 + dir) << 2), autoFinish());
  }
}

/** Picks TCP's table for the run and builds the automata it needs, each once (a few milliseconds:
 *  a run without protocol detection builds SSH's and FTP's only). */
export function sigsInit(all: bool): void {
  tcpTable = all ? 0 : 2;
  if (compiled == 0) memory.fill(sigDependents, 0, 64 * 8 * TABLES);
  if (all && (compiled & 1) == 0) {
    compileTable(0, TCP_SIGS);
    compileTable(1, UDP_SIGS);
    compiled |= 1;
  }
  if (!all && (compiled & 2) == 0) {
    compileTable(2, sshFtpSigs());
    compiled |= 2;
  }
}

/** The table of a transport (udp: 0 or 1) in this run. */
// @ts-ignore: decorator
@inline function tableOf(udp: u32): u32 { return udp != 0 ? 1 : tcpTable; }

// @ts-ignore: decorator
@inline export function sigAutomaton(udp: u32, resp: u32): usize { return load<usize>(automata + ((tableOf(udp) * 2 + resp) << 2)); }
// @ts-ignore: decorator
@inline export function sigTotal(udp: u32): u32 { return load<u32>(sigCount + (tableOf(udp) << 2)); }
// @ts-ignore: decorator
@inline export function sigDirOf(udp: u32, i: u32): u8 { return load<u8>(sigDir + (tableOf(udp) << 6) + i); }
// @ts-ignore: decorator
@inline export function sigEnableOf(udp: u32, i: u32): u32 { return <u32>load<u8>(sigEnable + (tableOf(udp) << 6) + i); }
// @ts-ignore: decorator
@inline export function sigCondOf(udp: u32, i: u32): u8 { return load<u8>(sigCond + (tableOf(udp) << 6) + i); }
// @ts-ignore: decorator
@inline export function sigReverseOf(udp: u32, i: u32): i32 { return <i32>load<i8>(sigReverse + (tableOf(udp) << 6) + i); }
// @ts-ignore: decorator
@inline export function sigDependentsOf(udp: u32, i: u32): u64 { return load<u64>(sigDependents + ((<usize>(tableOf(udp) << 6) + <usize>i) << 3)); }
