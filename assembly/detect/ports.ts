// Analyzers Zeek attaches by the responder's port (Analyzer::register_for_ports in the default
// scripts' main.zeek). The tunnel ports (Teredo 3544, AYIYA 5072, VXLAN 4789, Geneve 6081, GTPv1
// 2152/2123) belong to the packet analyzers in decode/tunnels.ts, not here.
import * as A from "./analyzers";

/** First (or only) analyzer for resp port `port` of IP protocol `proto`; 0: none. */
export function portAnalyzer(proto: u32, port: u32): u32 {
  if (proto == 6) {
    switch (port) {
      case 21: case 2811: return A.A_FTP;
      case 22: return A.A_SSH;
      case 25: case 587: return A.A_SMTP;
      case 53: return A.A_DNS;
      case 79: return A.A_FINGER;
      case 80: case 81: case 631: case 1080: case 3128: case 8000: case 8080: case 8888: return A.A_HTTP;
      case 88: case 750: return A.A_KRB_TCP;
      case 110: return A.A_POP3;
      case 135: return A.A_DCE_RPC;
      case 139: case 445: return A.A_SMB;
      case 143: return A.A_IMAP;
      case 389: case 3268: return A.A_LDAP_TCP;
      case 443: case 563: case 585: case 614: case 636: case 989: case 990: case 992: case 993: case 995: case 5223: return A.A_SSL;
      case 502: return A.A_MODBUS;
      case 514: return A.A_SYSLOG_TCP;
      case 1434: case 3306: return A.A_MYSQL;
      case 1883: return A.A_MQTT;
      case 3389: return A.A_RDP;
      case 5222: case 5269: return A.A_XMPP;
      case 5432: return A.A_POSTGRESQL;
      case 6379: return A.A_REDIS;
      case 6666: case 6667: case 6668: case 6669: return A.A_IRC;
      case 20000: return A.A_DNP3_TCP;
    }
    return 0;
  }
  if (proto == 17) {
    switch (port) {
      case 53: case 137: case 5353: case 5355: return A.A_DNS;
      case 67: case 68: case 4011: return A.A_DHCP;
      case 88: case 750: return A.A_KRB;
      case 123: return A.A_NTP;
      case 161: case 162: return A.A_SNMP;
      case 389: return A.A_LDAP_UDP;
      case 443: return A.A_DTLS;
      case 514: return A.A_SYSLOG;
      case 1812: return A.A_RADIUS;
      case 3389: return A.A_RDPEUDP;
      case 5060: return A.A_SIP;
    }
  }
  return 0;
}

/** Second analyzer for the same port (a port registered by two scripts); 0: none. */
export function portAnalyzer2(proto: u32, port: u32): u32 {
  if (proto == 6 && port == 1080) return A.A_SOCKS;
  if (proto == 17 && port == 443) return A.A_QUIC;
  return 0;
}
