// On the sending host a capture shows checksums the network card has not computed yet, and a
// responder runs it with -C, as with Zeek. With -C no checksum may matter: not the IPv4 header's,
// not the transport's (whose bad value otherwise keeps a segment from the analyzers and from
// moving the connection's time). Every reference capture (Zeek's, nDPI's) with its outermost
// checksums made wrong (helpers/bad-checksums.ts: the IPv4 header's and the transport's after the
// outermost IP header) must give, with -C, every conn.log row it gives with -C as it is, column
// for column but the uid.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { breakChecksums } from "./helpers/bad-checksums.js";
import { HAVE_CAPTURES, noteMissingCaptures } from "./helpers/captures.js";
import { changedFields, compareRewritten, type Row } from "./helpers/rewritten.js";

noteMissingCaptures("captures with wrong checksums");

const compare = (a: Row, b: Row): string[] => changedFields(a, b, ["uid"]);

if (HAVE_CAPTURES) test("reference captures with their outermost checksums wrong, with -C: every conn.log row as with -C before", () => {
  const { differences, rewritten } = compareRewritten(breakChecksums, compare, { ignoreChecksums: true });
  assert.ok(rewritten > 15000, `only ${rewritten} frames with checksums broken`);
  assert.equal(differences.slice(0, 30), [], `${differences.length} differences`);
  // and the checksums are wrong indeed: without -C, IPv4 is dropped and the rest not analyzed
  const withoutC = compareRewritten(breakChecksums, compare);
  assert.ok(withoutC.differences.length > 1000, `without -C only ${withoutC.differences.length} differences`);
});

test.run();
