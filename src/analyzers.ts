// Analyzer names (as conn.log's `service` writes them) and Zeek tags, indexed by the core's ids
// (assembly/detect/analyzers.ts). Keep both lists in step.

interface Analyzer { name: string; tag: string }

const A = (name: string, tag = `Analyzer::ANALYZER_${name.toUpperCase()}`): Analyzer => ({ name, tag });
const PACKET = (name: string): Analyzer => ({ name, tag: `PacketAnalyzer::ANALYZER_${name.toUpperCase()}` });

export const ANALYZERS: (Analyzer | undefined)[] = [
  undefined,
  A("http"), A("ssl"), A("ssh"), A("dns"), A("ftp"), A("smtp"), A("irc"), A("pop3"), A("imap"),
  A("mysql"), A("sip"), A("dce_rpc"), A("smb"), A("rdp"), A("modbus"), A("syslog"), A("mqtt"),
  A("dnp3_tcp"), A("dnp3_udp"), A("dhcp"), A("ntp"), A("krb"), A("krb_tcp"), A("radius"),
  A("ntlm"), A("gssapi"), A("socks"), A("rfb"), A("xmpp"),
  PACKET("vxlan"), PACKET("geneve"), PACKET("ayiya"), PACKET("gtpv1"), PACKET("teredo"),
  A("dtls"), A("quic"), A("rdpeudp"), A("ldap_tcp"), A("ldap_udp"), A("postgresql"), A("redis"),
  A("snmp"), A("finger"), A("syslog_tcp"), A("websocket"),
];

export function analyzerName(id: number): string {
  return ANALYZERS[id]?.name ?? `analyzer_${id}`;
}

export function analyzerTag(id: number): string {
  return ANALYZERS[id]?.tag ?? `Analyzer::ANALYZER_${id}`;
}

/** Each analyzer id's place in the order of names, from 1 (0: no analyzer): the core sorts rows
 *  whose metric ties by it, so that `dns` comes before `http` whatever their ids. */
export const SERVICE_RANKS: number[] = (() => {
  const ranks = ANALYZERS.map(() => 0);
  const named = ANALYZERS.flatMap((a, id) => (a ? [{ id, name: a.name }] : []));
  named.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  named.forEach(({ id }, i) => { ranks[id] = i + 1; });
  return ranks;
})();
