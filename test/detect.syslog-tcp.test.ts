// Syslog over TCP (port 514) as Zeek's Spicy grammar reads it (syslog.spicy, Frames): both
// directions are streams of frames, octet counting ("<count> <message>", the message's "<PRI>"
// optional) or non-transparent ("<PRI>message" ended by NUL, CR or LF); each frame parsed whole
// accepts (confirms), a parse error is a violation. The stream is parsed as it arrives, so a frame
// cut into segments anywhere reads the same.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { servicesOf } from "./helpers/conn.js";
import { messagesInTurn } from "./helpers/detect-pcap.js";

const services = (messages: [boolean, string][]) =>
  servicesOf(messagesInTurn(514, messages.map(([c, s]) => [c, Buffer.from(s, "latin1")]))).join(" ");

/** The client's data cut into a segment at each of `cuts`. */
function cutAt(data: string, cuts: number[]): [boolean, string][] {
  const bounds = [0, ...cuts, data.length];
  return bounds.slice(1).map((end, i) => [true, data.slice(bounds[i], end)]);
}

/** Messages framed by octet counting. */
const counted = (...messages: string[]) => messages.map((m) => `${m.length} ${m}`).join("");

const framed: Record<string, string> = {
  "non-transparent": "<34>Oct 11 22:14:15 mymachine su: 'su root' failed\n<13>again\r\n",
  "octet counting": counted("<34>Oct 11 22:14:15 hello", "<13>again\n"),
  "octet counting without a priority": counted("hello"),
};

test("syslog over TCP: a frame cut into two segments at every byte, or a segment per byte, confirms", () => {
  for (const [name, data] of Object.entries(framed)) {
    assert.is(services([[true, data]]), "syslog_tcp", name);
    const failed: number[] = [];
    for (let k = 1; k < data.length; k++) if (services(cutAt(data, [k])) !== "syslog_tcp") failed.push(k);
    assert.equal(failed, [], `${name}: cut at these bytes`);
    assert.is(services(cutAt(data, [...Array(data.length - 1).keys()].map((i) => i + 1))), "syslog_tcp", `${name}: a byte a segment`);
  }
});

test("syslog over TCP: what Zeek's grammar rejects does not confirm", () => {
  const rejected: Record<string, string> = {
    "a line cut by the end of the stream": "<13>hello",
    "an empty message": "<13>\n",
    "a priority without digits": "<>hello\n",
    "a count starting with 0": "0 <13>x",
    "a count without its space": "12<13>hello\n",
    "a count whose bytes never all come": "40 <13>hello\n",
    "a priority cut by its count": "3 <13>",
    "neither framing": "hello\n",
  };
  for (const [name, data] of Object.entries(rejected)) assert.is(services([[true, data]]), "-", name);
});

test("syslog over TCP: the responder's stream is parsed too", () => {
  assert.is(services([[false, "<13>ready\n"]]), "syslog_tcp", "frames from the responder");
  // the responder's parse error comes before the client's frame is whole (its line end is the
  // stream's last byte): a violation before any confirmation
  assert.is(services([[true, "<13>hello\n"], [false, "no frame\n"]]), "-", "a responder that is not syslog");
});

test.run();
