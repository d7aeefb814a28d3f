// The signature matcher (assembly/detect/regex.ts) skips the bytes that keep a state where it is 16
// at a time, and looks at a chunk's last bytes in its last 16 (skipToExit). A line end that FTP's
// signatures wait for (`.*[\n\r]` then USER, or 331) must be found wherever it falls: at each offset
// of a 16-byte step, in the chunk's last 16 bytes, and in chunks shorter than 16, which are matched
// byte by byte. Port 4000 attaches no analyzer, so only the signatures can make this FTP.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { servicesOf } from "./helpers/conn.js";
import { messagesInTurn as conversation } from "./helpers/detect-pcap.js";

const PORT = 4000;
const LONGEST = 80;

/** An FTP login whose client line before USER and server greeting carry `n` filler characters. */
function login(n: number, user = "USER"): [boolean, Buffer][] {
  return ([
    [false, `220 ${"y".repeat(n)}\r\n`],
    [true, `NOOP${"x".repeat(n)}\r\n${user} alice\r\n`],
    [false, "331 Password required\r\n"],
    [true, "PASS secret\r\n"],
    [false, "230 Logged in\r\n"],
  ] as [boolean, string][]).map(([c, s]) => [c, Buffer.from(s, "latin1")]);
}

test("the line ends before USER and 331 are found at every offset: ftp", () => {
  const missed: number[] = [];
  for (let n = 0; n <= LONGEST; n++) {
    if (servicesOf(conversation(PORT, login(n))).join(" ") !== "ftp") missed.push(n);
  }
  assert.equal(missed, [], "filler lengths that gave no ftp");
});

test("without USER after the line end the signatures do not fire: no service", () => {
  const fired: number[] = [];
  for (let n = 0; n <= LONGEST; n += 7) {
    if (servicesOf(conversation(PORT, login(n, "USEX"))).join(" ") !== "-") fired.push(n);
  }
  assert.equal(fired, [], "filler lengths that gave a service");
});

test.run();
