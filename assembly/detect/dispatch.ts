// Calls into the analyzer modules by analyzer id (the registry's only view of them).
import * as A from "./analyzers";
import { aDone } from "./ctx";
import { dcerpcEof, dcerpcGap, dcerpcInit, dcerpcStream } from "./dcerpc";
import { dhcpDatagram, dhcpInit } from "./dhcp";
import { dnp3Eof, dnp3Gap, dnp3Init, dnp3Stream } from "./dnp3";
import { dnsClosed, dnsDatagram, dnsEof, dnsGap, dnsInit, dnsStream } from "./dns";
import { fingerEof, fingerGap, fingerInit, fingerStream } from "./finger";
import { ftpEof, ftpGap, ftpInit, ftpStream } from "./ftp";
import { httpEof, httpGap, httpInit, httpStream } from "./http";
import { imapEof, imapGap, imapInit, imapStream } from "./imap";
import { ircEof, ircGap, ircInit, ircStream } from "./irc";
import { krbDatagram, krbInit, krbTcpStream } from "./krb";
import { ldapDatagram, ldapInit, ldapStream } from "./ldap";
import { modbusEof, modbusGap, modbusInit, modbusStream } from "./modbus";
import { mqttEof, mqttGap, mqttInit, mqttStream } from "./mqtt";
import { mysqlEof, mysqlGap, mysqlInit, mysqlStream } from "./mysql";
import { ntpDatagram, ntpInit } from "./ntp";
import { quicDatagram, quicInit } from "./quic";
import { pop3Eof, pop3Gap, pop3Init, pop3Stream } from "./pop3";
import { postgresqlEof, postgresqlGap, postgresqlInit, postgresqlStream } from "./postgresql";
import { radiusDatagram, radiusInit } from "./radius";
import { rdpEof, rdpGap, rdpInit, rdpStream } from "./rdp";
import { rdpeudpDatagram, rdpeudpInit } from "./rdpeudp";
import { redisEof, redisGap, redisInit, redisStream } from "./redis";
import { rfbEof, rfbGap, rfbInit, rfbStream } from "./rfb";
import { sipDatagram, sipInit } from "./sip";
import { smbEof, smbGap, smbInit, smbStream } from "./smb";
import { smtpEof, smtpGap, smtpInit, smtpStream } from "./smtp";
import { snmpDatagram, snmpInit } from "./snmp";
import { socksEof, socksGap, socksInit, socksStream } from "./socks";
import { sshEof, sshGap, sshInit, sshStream } from "./ssh";
import { dtlsDatagram, sslEof, sslGap, sslInit, sslStream } from "./ssl";
import { syslogDatagram, syslogInit, syslogTcpStream, syslogTcpEof } from "./syslog";
import { websocketEof, websocketGap, websocketInit, websocketStream } from "./websocket";
import { xmppEof, xmppGap, xmppInit, xmppStream } from "./xmpp";

export function dInit(id: u32, st: usize): void {
  switch (id) {
    case A.A_HTTP: httpInit(st); break;
    case A.A_SSL: sslInit(st); break;
    case A.A_SSH: sshInit(st); break;
    case A.A_DNS: dnsInit(st); break;
    case A.A_FTP: ftpInit(st); break;
    case A.A_SMTP: smtpInit(st); break;
    case A.A_POP3: pop3Init(st); break;
    case A.A_IMAP: imapInit(st); break;
    case A.A_IRC: ircInit(st); break;
    case A.A_XMPP: xmppInit(st); break;
    case A.A_MYSQL: mysqlInit(st); break;
    case A.A_MODBUS: modbusInit(st); break;
    case A.A_DCE_RPC: dcerpcInit(st); break;
    case A.A_MQTT: mqttInit(st); break;
    case A.A_DNP3_TCP: dnp3Init(st); break;
    case A.A_RDP: rdpInit(st); break;
    case A.A_RFB: rfbInit(st); break;
    case A.A_SOCKS: socksInit(st); break;
    case A.A_SMB: smbInit(st); break;
    case A.A_POSTGRESQL: postgresqlInit(st); break;
    case A.A_REDIS: redisInit(st); break;
    case A.A_FINGER: fingerInit(st); break;
    case A.A_WEBSOCKET: websocketInit(st); break;
    case A.A_KRB_TCP: krbInit(st); break;
    case A.A_LDAP_TCP: ldapInit(st); break;
    case A.A_SYSLOG_TCP: syslogInit(st); break;
    case A.A_DTLS: sslInit(st); break;
    case A.A_QUIC: quicInit(st); break;
    case A.A_DHCP: dhcpInit(st); break;
    case A.A_NTP: ntpInit(st); break;
    case A.A_RADIUS: radiusInit(st); break;
    case A.A_SIP: sipInit(st); break;
    case A.A_SYSLOG: syslogInit(st); break;
    case A.A_SNMP: snmpInit(st); break;
    case A.A_KRB: krbInit(st); break;
    case A.A_LDAP_UDP: ldapInit(st); break;
    case A.A_RDPEUDP: rdpeudpInit(st); break;
  }
}

export function dStream(id: u32, st: usize, isOrig: bool, p: usize, n: u32): void {
  switch (id) {
    case A.A_HTTP: httpStream(st, isOrig, p, n); break;
    case A.A_SSL: sslStream(st, isOrig, p, n); break;
    case A.A_SSH: sshStream(st, isOrig, p, n); break;
    case A.A_DNS: dnsStream(st, isOrig, p, n); break;
    case A.A_FTP: ftpStream(st, isOrig, p, n); break;
    case A.A_SMTP: smtpStream(st, isOrig, p, n); break;
    case A.A_POP3: pop3Stream(st, isOrig, p, n); break;
    case A.A_IMAP: imapStream(st, isOrig, p, n); break;
    case A.A_IRC: ircStream(st, isOrig, p, n); break;
    case A.A_XMPP: xmppStream(st, isOrig, p, n); break;
    case A.A_MYSQL: mysqlStream(st, isOrig, p, n); break;
    case A.A_MODBUS: modbusStream(st, isOrig, p, n); break;
    case A.A_DCE_RPC: dcerpcStream(st, isOrig, p, n); break;
    case A.A_MQTT: mqttStream(st, isOrig, p, n); break;
    case A.A_DNP3_TCP: dnp3Stream(st, isOrig, p, n); break;
    case A.A_RDP: rdpStream(st, isOrig, p, n); break;
    case A.A_RFB: rfbStream(st, isOrig, p, n); break;
    case A.A_SOCKS: socksStream(st, isOrig, p, n); break;
    case A.A_SMB: smbStream(st, isOrig, p, n); break;
    case A.A_POSTGRESQL: postgresqlStream(st, isOrig, p, n); break;
    case A.A_REDIS: redisStream(st, isOrig, p, n); break;
    case A.A_FINGER: fingerStream(st, isOrig, p, n); break;
    case A.A_WEBSOCKET: websocketStream(st, isOrig, p, n); break;
    case A.A_KRB_TCP: krbTcpStream(st, isOrig, p, n); break;
    case A.A_LDAP_TCP: ldapStream(st, isOrig, p, n); break;
    case A.A_SYSLOG_TCP: syslogTcpStream(st, isOrig, p, n); break;
    default: aDone();
  }
}

export function dGap(id: u32, st: usize, isOrig: bool, len: u32): void {
  switch (id) {
    case A.A_HTTP: httpGap(st, isOrig, len); break;
    case A.A_SSL: sslGap(st, isOrig); break;
    case A.A_SSH: sshGap(st, isOrig); break;
    case A.A_DNS: dnsGap(st, isOrig); break;
    case A.A_FTP: ftpGap(st, isOrig); break;
    case A.A_SMTP: smtpGap(st, isOrig); break;
    case A.A_POP3: pop3Gap(st, isOrig); break;
    case A.A_IMAP: imapGap(st, isOrig); break;
    case A.A_IRC: ircGap(st, isOrig); break;
    case A.A_XMPP: xmppGap(st, isOrig); break;
    case A.A_MYSQL: mysqlGap(st, isOrig); break;
    case A.A_MODBUS: modbusGap(st, isOrig); break;
    case A.A_DCE_RPC: dcerpcGap(st, isOrig); break;
    case A.A_MQTT: mqttGap(st, isOrig); break;
    case A.A_DNP3_TCP: dnp3Gap(st, isOrig); break;
    case A.A_RDP: rdpGap(st, isOrig); break;
    case A.A_RFB: rfbGap(st, isOrig); break;
    case A.A_SOCKS: socksGap(st, isOrig); break;
    case A.A_SMB: smbGap(st, isOrig); break;
    case A.A_POSTGRESQL: postgresqlGap(st, isOrig); break;
    case A.A_REDIS: redisGap(st, isOrig); break;
    case A.A_FINGER: fingerGap(st, isOrig); break;
    case A.A_WEBSOCKET: websocketGap(st, isOrig); break;
    default: aDone();
  }
}

export function dEof(id: u32, st: usize, isOrig: bool): void {
  switch (id) {
    case A.A_HTTP: httpEof(st, isOrig); break;
    case A.A_SSL: sslEof(st, isOrig); break;
    case A.A_SSH: sshEof(st, isOrig); break;
    case A.A_DNS: dnsEof(st, isOrig); break;
    case A.A_FTP: ftpEof(st, isOrig); break;
    case A.A_SMTP: smtpEof(st, isOrig); break;
    case A.A_POP3: pop3Eof(st, isOrig); break;
    case A.A_IMAP: imapEof(st, isOrig); break;
    case A.A_IRC: ircEof(st, isOrig); break;
    case A.A_XMPP: xmppEof(st, isOrig); break;
    case A.A_MYSQL: mysqlEof(st, isOrig); break;
    case A.A_MODBUS: modbusEof(st, isOrig); break;
    case A.A_DCE_RPC: dcerpcEof(st, isOrig); break;
    case A.A_MQTT: mqttEof(st, isOrig); break;
    case A.A_DNP3_TCP: dnp3Eof(st, isOrig); break;
    case A.A_RDP: rdpEof(st, isOrig); break;
    case A.A_RFB: rfbEof(st, isOrig); break;
    case A.A_SOCKS: socksEof(st, isOrig); break;
    case A.A_SMB: smbEof(st, isOrig); break;
    case A.A_POSTGRESQL: postgresqlEof(st, isOrig); break;
    case A.A_REDIS: redisEof(st, isOrig); break;
    case A.A_FINGER: fingerEof(st, isOrig); break;
    case A.A_WEBSOCKET: websocketEof(st, isOrig); break;
    case A.A_SYSLOG_TCP: syslogTcpEof(st, isOrig); break;
  }
}

/** A FIN or RST from either side, after its segment was handled (Zeek's ConnectionClosed, which
 *  only DNS's analyzer acts on). */
export function dClosed(id: u32, st: usize): void {
  if (id == A.A_DNS) dnsClosed(st);
}

export function dDatagram(id: u32, st: usize, isOrig: bool, p: usize, n: u32): void {
  switch (id) {
    case A.A_DNS: dnsDatagram(st, isOrig, p, n); break;
    case A.A_DTLS: dtlsDatagram(st, isOrig, p, n); break;
    case A.A_DHCP: dhcpDatagram(st, isOrig, p, n); break;
    case A.A_NTP: ntpDatagram(st, isOrig, p, n); break;
    case A.A_RADIUS: radiusDatagram(st, isOrig, p, n); break;
    case A.A_SIP: sipDatagram(st, isOrig, p, n); break;
    case A.A_SYSLOG: syslogDatagram(st, isOrig, p, n); break;
    case A.A_SNMP: snmpDatagram(st, isOrig, p, n); break;
    case A.A_KRB: krbDatagram(st, isOrig, p, n); break;
    case A.A_LDAP_UDP: ldapDatagram(st, isOrig, p, n); break;
    case A.A_RDPEUDP: rdpeudpDatagram(st, isOrig, p, n); break;
    case A.A_QUIC: quicDatagram(st, isOrig, p, n); break;
    default: aDone();
  }
}

/**
 * Does the analyzer keep state of its own (ST_SIZE bytes) on this transport? DNS over UDP parses
 * each datagram whole, and most UDP connections are DNS: their instances are a header only.
 */
export function dKeepsState(id: u32, tcp: bool): bool {
  return tcp || id != A.A_DNS;
}

/**
 * Analyzers that keep parsing after confirming even when a violation could no longer drop their
 * service (registry.feedSlot): those that may still start another analyzer after confirming, as
 * Zeek's analyzers run on whatever the connection's size. SMB's session setup and DCE-RPC's auth
 * trailers (GSSAPI, NTLM, KRB) may come late; HTTP upgrades to WebSocket or tunnels with CONNECT
 * after any number of requests; SMTP, POP3, IMAP, IRC and XMPP hand the stream to SSL at STARTTLS,
 * FTP at AUTH TLS; QUIC's ClientHello (SSL) may take several INITIAL packets. (MySQL, PostgreSQL
 * and RDP hand over or restart detection before or as they confirm.)
 */
// @ts-ignore: decorator
@inline export function dKeepsParsing(id: u32): bool {
  return id < 64 && ((KEEPS_PARSING >> <u64>id) & 1) != 0;
}
const KEEPS_PARSING: u64 = (<u64>1 << A.A_SMB) | (<u64>1 << A.A_DCE_RPC) | (<u64>1 << A.A_HTTP) |
  (<u64>1 << A.A_SMTP) | (<u64>1 << A.A_POP3) | (<u64>1 << A.A_IMAP) | (<u64>1 << A.A_IRC) |
  (<u64>1 << A.A_XMPP) | (<u64>1 << A.A_FTP) | (<u64>1 << A.A_QUIC);

/**
 * Analyzers that may start another analyzer (hand the stream over, restart signature matching, or
 * confirm a nested one) once they have confirmed: those above, and MySQL and PostgreSQL (SSL after
 * the server's answer) and RDP (a negotiation response restarts detection). The others only
 * confirm once, or violate (registry.ts nothingToLearn).
 */
// @ts-ignore: decorator
@inline export function dStartsOthers(id: u32): bool {
  return id < 64 && ((STARTS_OTHERS >> <u64>id) & 1) != 0;
}
const STARTS_OTHERS: u64 = KEEPS_PARSING | (<u64>1 << A.A_MYSQL) | (<u64>1 << A.A_POSTGRESQL) | (<u64>1 << A.A_RDP);
