// Calls into the analyzer modules by analyzer id (the registry's only view of them).
import * as A from "./analyzers";
import { aDone } from "./ctx";
import { httpInit, httpStream, httpGap, httpEof } from "./http";
import { sslInit, sslStream, sslGap, sslEof, dtlsDatagram } from "./ssl";
import { sshInit, sshStream, sshGap, sshEof } from "./ssh";
import { ftpInit, ftpStream, ftpGap, ftpEof } from "./ftp";
import { smtpInit, smtpStream, smtpGap, smtpEof } from "./smtp";
import { pop3Init, pop3Stream, pop3Gap, pop3Eof } from "./pop3";
import { imapInit, imapStream, imapGap, imapEof } from "./imap";
import { ircInit, ircStream, ircGap, ircEof } from "./irc";
import { xmppInit, xmppStream, xmppGap, xmppEof } from "./xmpp";
import { mysqlInit, mysqlStream, mysqlGap, mysqlEof } from "./mysql";
import { dnsInit, dnsStream, dnsGap, dnsEof, dnsDatagram } from "./dns";

export function dInit(id: u32, st: usize): void {
  switch (id) {
    case A.A_HTTP: httpInit(st); break;
    case A.A_SSL: sslInit(st); break;
    case A.A_SSH: sshInit(st); break;
    case A.A_FTP: ftpInit(st); break;
    case A.A_SMTP: smtpInit(st); break;
    case A.A_POP3: pop3Init(st); break;
    case A.A_IMAP: imapInit(st); break;
    case A.A_IRC: ircInit(st); break;
    case A.A_XMPP: xmppInit(st); break;
    case A.A_MYSQL: mysqlInit(st); break;
    case A.A_DNS: dnsInit(st); break;
  }
}

export function dStream(id: u32, st: usize, isOrig: bool, p: usize, n: u32): void {
  switch (id) {
    case A.A_HTTP: httpStream(st, isOrig, p, n); break;
    case A.A_SSL: sslStream(st, isOrig, p, n); break;
    case A.A_SSH: sshStream(st, isOrig, p, n); break;
    case A.A_FTP: ftpStream(st, isOrig, p, n); break;
    case A.A_SMTP: smtpStream(st, isOrig, p, n); break;
    case A.A_POP3: pop3Stream(st, isOrig, p, n); break;
    case A.A_IMAP: imapStream(st, isOrig, p, n); break;
    case A.A_IRC: ircStream(st, isOrig, p, n); break;
    case A.A_XMPP: xmppStream(st, isOrig, p, n); break;
    case A.A_MYSQL: mysqlStream(st, isOrig, p, n); break;
    case A.A_DNS: dnsStream(st, isOrig, p, n); break;
    default: aDone();
  }
}

export function dGap(id: u32, st: usize, isOrig: bool): void {
  switch (id) {
    case A.A_HTTP: httpGap(st, isOrig); break;
    case A.A_SSL: sslGap(st, isOrig); break;
    case A.A_SSH: sshGap(st, isOrig); break;
    case A.A_FTP: ftpGap(st, isOrig); break;
    case A.A_SMTP: smtpGap(st, isOrig); break;
    case A.A_POP3: pop3Gap(st, isOrig); break;
    case A.A_IMAP: imapGap(st, isOrig); break;
    case A.A_IRC: ircGap(st, isOrig); break;
    case A.A_XMPP: xmppGap(st, isOrig); break;
    case A.A_MYSQL: mysqlGap(st, isOrig); break;
    case A.A_DNS: dnsGap(st, isOrig); break;
    default: aDone();
  }
}

export function dEof(id: u32, st: usize, isOrig: bool): void {
  switch (id) {
    case A.A_HTTP: httpEof(st, isOrig); break;
    case A.A_SSL: sslEof(st, isOrig); break;
    case A.A_SSH: sshEof(st, isOrig); break;
    case A.A_FTP: ftpEof(st, isOrig); break;
    case A.A_SMTP: smtpEof(st, isOrig); break;
    case A.A_POP3: pop3Eof(st, isOrig); break;
    case A.A_IMAP: imapEof(st, isOrig); break;
    case A.A_IRC: ircEof(st, isOrig); break;
    case A.A_XMPP: xmppEof(st, isOrig); break;
    case A.A_MYSQL: mysqlEof(st, isOrig); break;
    case A.A_DNS: dnsEof(st, isOrig); break;
  }
}

export function dDatagram(id: u32, st: usize, isOrig: bool, p: usize, n: u32): void {
  switch (id) {
    case A.A_DNS: dnsDatagram(st, isOrig, p, n); break;
    case A.A_DTLS: dtlsDatagram(st, isOrig, p, n); break;
    default: aDone();
  }
}

/**
 * Analyzers that keep parsing after confirming even when a violation could no longer drop their
 * service: they may hand the stream to another analyzer later (STARTTLS, CONNECT) or confirm a
 * nested one.
 */
export function dKeepsParsing(id: u32): bool {
  return false;
}
