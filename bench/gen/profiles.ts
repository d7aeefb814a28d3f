// Traffic profiles. Each is a set of knobs for the session pool in traffic.ts; the CLI and the
// library can override concurrency and rate.

export type ProfileName = "mixed" | "cache" | "million" | "synflood";
export const PROFILES: readonly ProfileName[] = ["mixed", "cache", "million", "synflood"];

/** Share of new sessions per kind (weights, normalised). */
export interface Mix {
  http: number; //    HTTP on port 80
  httpAlt: number; // HTTP on other ports (8080, 8000, 3128, 1234, random high ports)
  tls: number; //     TLS 1.3 on 443 (some 8443)
  ssh: number; //     SSH on 22 (some 2222): interactive or bulk copy
  smtp: number; //    SMTP on 25, one message
  dns: number; //     DNS over UDP 53: one query, or A + AAAA from one socket
  icmp: number; //    ICMP/ICMPv6 echo, 1-8 pings, some to hosts that never answer
  scan: number; //    a SYN scan of one host (10-1500 ports): each probe is a connection
}

export interface Profile {
  name: ProfileName;
  /** Sessions in progress at once (after the ramp-up: the first `concurrency` packets open them). */
  concurrency: number;
  /** Packets per second of capture time (mean; gaps are exponential). */
  rate: number;
  clients: number;
  servers: number;
  scanners: number;
  /** Zipf exponents of the client (source) and server popularity. */
  zipfClients: number;
  zipfServers: number;
  /** Share of sessions over IPv6 (scans are IPv4). */
  v6Share: number;
  /** Most packets one session emits back to back in the middle of a large transfer. */
  burst: number;
  /** Extra keep-alive request/response rounds per HTTP/TLS connection (uniform 0..n). */
  extraRounds: number;
  mix: Mix;
}

const MIXED: Mix = { http: 0.1, httpAlt: 0.01, tls: 0.2, ssh: 0.003, smtp: 0.006, dns: 0.5, icmp: 0.02, scan: 0.002 };

export function profile(name: ProfileName): Profile {
  switch (name) {
    case "mixed":
      return { name, concurrency: 20000, rate: 100000, clients: 60000, servers: 30000, scanners: 40, zipfClients: 1.0, zipfServers: 1.0, v6Share: 0.2, burst: 4, extraRounds: 0, mix: MIXED };
    case "cache":
      return {
        name, concurrency: 2000, rate: 50000, clients: 200, servers: 100, scanners: 2, zipfClients: 1.0, zipfServers: 1.0, v6Share: 0.2, burst: 4, extraRounds: 24,
        mix: { http: 0.3, httpAlt: 0.02, tls: 0.45, ssh: 0.05, smtp: 0.03, dns: 0.12, icmp: 0.03, scan: 0 },
      };
    case "million":
      return { name, concurrency: 1000000, rate: 2000000, clients: 1000000, servers: 200000, scanners: 200, zipfClients: 0.8, zipfServers: 0.9, v6Share: 0.2, burst: 4, extraRounds: 0, mix: MIXED };
    case "synflood":
      return { name, concurrency: 1, rate: 1000000, clients: 4, servers: 1, scanners: 1, zipfClients: 1, zipfServers: 1, v6Share: 0, burst: 1, extraRounds: 0, mix: MIXED };
  }
}
