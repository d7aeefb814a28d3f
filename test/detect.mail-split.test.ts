// The SMTP and POP3 parsers must find the same things however the stream is cut into segments:
// they take a line's characters together up to its CR or LF (a mail's body is most of the
// stream), keep a long first word or token only as a count, and carry that state from one segment
// to the next. In each conversation a mail's body comes before STARTTLS (STLS): its lines must be
// framed right for the body's final "." to be found, the command to be paired with its reply, and
// the TLS that follows to be handed to SSL. So each must come out "smtp,ssl" ("pop3,ssl") with
// every message cut at every byte, and with every byte a segment of its own.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { servicesOf } from "./helpers/conn.js";
import { messagesInTurn as conversation, clientHello } from "./helpers/detect-pcap.js";

const base64Line = "TWFpbCBib2R5IGxpbmVzIGFyZSBiYXNlNjQgd2l0aG91dCBhIHNpbmdsZSBzcGFjZSBpbiB0aGVt";
// lines that are nearly the end of a body: dot-stuffed, a dot after a blank, a dot and more; a
// first word of 300 characters; a line over 255 characters with blanks; a tab and a form feed
const body = [
  ...Array(4).fill(base64Line), "..", " .", ".x", "A".repeat(300), ("word ".repeat(60)).trimEnd(),
  "\tindented\fline", base64Line.slice(0, 17),
].join("\r\n");

const smtp: [boolean, Buffer][] = [
  [false, "220 mx.example.com ESMTP\r\n"],
  [true, "EHLO client.example.com\r\n"],
  [false, "250-mx.example.com\r\n250-PIPELINING\r\n250 STARTTLS\r\n"],
  [true, "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"],
  [false, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"],
  [true, `Subject: report\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}\r\n.\r\n`],
  [false, "250 2.0.0 Ok: queued as 4F2A1\r\n"],
  [true, "STARTTLS\r\n"],
  [false, "220 2.0.0 Ready to start TLS\r\n"],
].map(([c, s]) => [c as boolean, Buffer.from(s as string, "latin1")]);
smtp.push([true, clientHello()]);

const pop3: [boolean, Buffer][] = [
  [false, "+OK POP3 server ready\r\n"],
  [true, "USER alice\r\n"],
  [false, "+OK\r\n"],
  [true, "PASS secret\r\n"],
  [false, "+OK logged in\r\n"],
  [true, "RETR 1\r\n"],
  [false, `+OK 900 octets\r\n${body}\r\n.\r\n`],
  [true, "STLS\r\n"],
  [false, "+OK Begin TLS negotiation\r\n"],
].map(([c, s]) => [c as boolean, Buffer.from(s as string, "latin1")]);
pop3.push([true, clientHello()]);

/** The conversation on port `port` with message m's bytes given as segments cut at `cuts`. */
function cutAt(port: number, messages: [boolean, Buffer][], m: number, cuts: number[]): Buffer {
  const [fromClient, data] = messages[m];
  const bounds = [0, ...cuts, data.length];
  const pieces: [boolean, Buffer][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) pieces.push([fromClient, data.subarray(bounds[i], bounds[i + 1])]);
  return conversation(port, [...messages.slice(0, m), ...pieces, ...messages.slice(m + 1)]);
}

const services = (pcap: Buffer): string => servicesOf(pcap).map((s) => s.split(",").sort().join(",")).join(" ");

for (const [name, port, messages, expected] of [["SMTP", 25, smtp, "smtp,ssl"], ["POP3", 110, pop3, "pop3,ssl"]] as const) {
  // every message before the reply that lets STARTTLS (STLS) go ahead is cut
  const cutMessages = messages.length - 2;

  test(`${name}: ${expected} with each message cut in two at every byte`, () => {
    assert.is(services(conversation(port, [...messages])), expected);
    for (let m = 0; m < cutMessages; m++) {
      const failed: number[] = [];
      for (let k = 1; k < messages[m][1].length; k++) if (services(cutAt(port, [...messages], m, [k])) !== expected) failed.push(k);
      assert.equal(failed, [], `message ${m} cut at these bytes`);
    }
  });

  test(`${name}: ${expected} with every byte a segment of its own`, () => {
    for (let m = 0; m < cutMessages; m++) {
      const every = [...Array(messages[m][1].length - 1).keys()].map((i) => i + 1);
      assert.is(services(cutAt(port, [...messages], m, every)), expected, `message ${m}`);
    }
  });

  test(`${name}: a body whose final "." is missing keeps STARTTLS (STLS) in the body: no ssl`, () => {
    const broken = messages.map(([c, b]) => [c, Buffer.from(b.toString("latin1").replace("\r\n.\r\n", "\r\n"), "latin1")] as [boolean, Buffer]);
    assert.not.ok(services(conversation(port, broken)).includes("ssl"));
  });
}

test("SMTP: a client line's first word ends at a blank, 9..13 or NUL, in a line's first 16 bytes taken at once or byte by byte", () => {
  // STARTTLS followed by an argument makes a line of 16 bytes or more, whose first 16 the parser
  // takes at once when the line starts a segment; cut into single bytes, it takes them one at a
  // time. Only a word that ends at STARTTLS is the command that the 220 hands over to SSL.
  const withStarttls = (line: string): [boolean, Buffer][] => {
    const messages = smtp.slice(0, 3);
    messages.push([true, Buffer.from(`${line}\r\n`, "latin1")], smtp[smtp.length - 2], smtp[smtp.length - 1]);
    return messages;
  };
  const cases: [string, string][] = [
    ["STARTTLS please-now", "smtp,ssl"], ["STARTTLS\tplease-now", "smtp,ssl"], ["STARTTLS\vplease-now", "smtp,ssl"],
    ["STARTTLS\fplease-now", "smtp,ssl"], ["STARTTLS\0please-now", "smtp,ssl"], ["starttls please-now", "smtp,ssl"],
    ["StartTls\x0bplease-now", "smtp,ssl"], ["STARTTLS\x01please-now", "smtp"], ["STARTTLS\x1fplease-now", "smtp"],
    ["STARTTLS!please-now", "smtp"], ["STARTTLS{please-now", "smtp"], ["STARTTLSS please-now", "smtp"],
    ["X-ANONYMOUSTLS 16", "smtp,ssl"], ["X-ANONYMOUSTLS16 +", "smtp"],
  ];
  for (const [line, expected] of cases) {
    const messages = withStarttls(line);
    const m = 3;
    const every = [...Array(messages[m][1].length - 1).keys()].map((i) => i + 1);
    assert.is(services(conversation(25, [...messages])), expected, `${JSON.stringify(line)} in one segment`);
    assert.is(services(cutAt(25, [...messages], m, every)), expected, `${JSON.stringify(line)} a byte a segment`);
  }
});

test.run();
