// The same traffic seen on a VLAN trunk, an MPLS core, a PPPoE access link, or inside an IP or UDP
// tunnel must give the same connections: Zeek keys a connection by its innermost 5-tuple, never by
// the encapsulation around it. Every frame of the reference captures (Zeek's, nDPI's) is
// encapsulated (helpers/encapsulate.ts), and each connection must come out as before, column for
// column but its uid:
// - on an Ethernet link (802.1Q, 802.1ad + 802.1Q, MPLS, PPPoE): nothing else changes, and no
//   connection is new;
// - in a tunnel (IP-in-IP, GRE, VXLAN, Geneve, GTP-U): each connection also names its tunnel in
//   tunnel_parents when every frame of its capture was encapsulated (one that named one before
//   keeps naming one or two), and the only new connections are a UDP tunnel's own, between the
//   tunnel's addresses, with its analyzer as their service.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encapsulate, OUTER_DST, OUTER_SPORT, OUTER_SRC, UDP_TUNNEL_PORT, type Encapsulation } from "./helpers/encapsulate.js";
import { HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { changedFields, compareRewritten, type Row } from "./helpers/rewritten.js";

noteMissingCaptures("encapsulated captures");

const ON_THE_LINK: Encapsulation[] = ["vlan", "qinq", "mpls", "pppoe"];
const TUNNELS: Encapsulation[] = ["ipip", "gre", "vxlan", "geneve", "gtp"];
/** conn.log's service of a UDP tunnel's own connection. */
const TUNNEL_SERVICE: Partial<Record<Encapsulation, string>> = { vxlan: "vxlan", geneve: "geneve", gtp: "gtpv1" };

/** `whole`: every frame of the connection's capture was encapsulated. */
function compare(how: Encapsulation, whole: () => boolean) {
  return (a: Row, b: Row): string[] => {
    const out = changedFields(a, b, TUNNELS.includes(how) ? ["uid", "tunnel_parents"] : ["uid"]);
    if (TUNNELS.includes(how) && whole() && b.tunnel_parents === "-") out.push(`tunnel_parents ${a.tunnel_parents} -> -`);
    return out;
  };
}

/** A new connection the encapsulation may add: a UDP tunnel's own. */
function tunnelsOwn(how: Encapsulation, key: string): boolean {
  const port = UDP_TUNNEL_PORT[how];
  return port !== undefined && key.startsWith(`${OUTER_SRC} ${OUTER_SPORT} ${OUTER_DST} ${port} udp `);
}

if (HAVE_CAPTURES) {
  for (const how of [...ON_THE_LINK, ...TUNNELS]) {
    test(`reference captures with every frame ${ON_THE_LINK.includes(how) ? "on" : "in"} ${how}: every connection as before`, () => {
      const own: Row[] = [];
      let whole = false, wholeCaptures = 0, captures = 0;
      const rewrite = (c: Buffer) => {
        const out = encapsulate(c, how);
        whole = out.rewritten === out.frames;
        captures++;
        if (whole) wholeCaptures++;
        return out;
      };
      const { differences, rewritten } = compareRewritten(rewrite, compare(how, () => whole), {
        isNew: (key, row) => {
          if (!tunnelsOwn(how, key)) return false;
          own.push(row);
          return true;
        },
      });
      console.log(`  ${how}: ${rewritten} frames encapsulated, every frame of ${wholeCaptures} of ${captures} captures`);
      assert.ok(rewritten > 15000, `only ${rewritten} frames encapsulated`);
      assert.equal(differences.slice(0, 30), [], `${differences.length} differences`);
      const service = TUNNEL_SERVICE[how];
      if (service) {
        assert.ok(own.length > 0, "the tunnel's own connections are logged");
        assert.equal(own.filter((r) => !r.service.split(",").includes(service)).map((r) => `${r.ts} ${r.service}`), [], `the tunnel's connections confirm ${service}`);
      }
    });
  }
}

test.run();
