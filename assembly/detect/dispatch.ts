// Calls into the analyzer modules by analyzer id (the registry's only view of them).
import * as A from "./analyzers";
import { aDone } from "./ctx";
import { httpInit, httpStream, httpGap, httpEof } from "./http";
import { sslInit, sslStream, sslGap, sslEof, dtlsDatagram } from "./ssl";
import { sshInit, sshStream, sshGap, sshEof } from "./ssh";
import { dnsInit, dnsStream, dnsGap, dnsEof, dnsDatagram } from "./dns";

export function dInit(id: u32, st: usize): void {
  switch (id) {
    case A.A_HTTP: httpInit(st); break;
    case A.A_SSL: sslInit(st); break;
    case A.A_SSH: sshInit(st); break;
    case A.A_DNS: dnsInit(st); break;
  }
}

export function dStream(id: u32, st: usize, isOrig: bool, p: usize, n: u32): void {
  switch (id) {
    case A.A_HTTP: httpStream(st, isOrig, p, n); break;
    case A.A_SSL: sslStream(st, isOrig, p, n); break;
    case A.A_SSH: sshStream(st, isOrig, p, n); break;
    case A.A_DNS: dnsStream(st, isOrig, p, n); break;
    default: aDone();
  }
}

export function dGap(id: u32, st: usize, isOrig: bool): void {
  switch (id) {
    case A.A_HTTP: httpGap(st, isOrig); break;
    case A.A_SSL: sslGap(st, isOrig); break;
    case A.A_SSH: sshGap(st, isOrig); break;
    case A.A_DNS: dnsGap(st, isOrig); break;
    default: aDone();
  }
}

export function dEof(id: u32, st: usize, isOrig: bool): void {
  switch (id) {
    case A.A_HTTP: httpEof(st, isOrig); break;
    case A.A_SSL: sslEof(st, isOrig); break;
    case A.A_SSH: sshEof(st, isOrig); break;
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
