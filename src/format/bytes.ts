// ASCII text built as bytes: for output written per record (conn.log rows), where a string per
// field and per row costs more than the formatting (and the garbage collector the rest).

const DIGIT_0 = 0x30;
const TWO53 = 2 ** 53;

export class AsciiBytes {
  private buf: Buffer;
  private pos = 0;

  /** `size`: the first buffer's bytes (it doubles as needed, and keeps its largest size). */
  constructor(size = 64 << 10) {
    this.buf = Buffer.allocUnsafe(Math.max(1, size));
  }

  /** Room for n more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** One byte (a character code below 128). */
  byte(c: number): void {
    if (this.pos === this.buf.length) this.reserve(1);
    this.buf[this.pos++] = c;
  }

  /** An ASCII string (a character above U+00FF would be cut to its low byte: the callers write
   *  addresses, numbers, names and letters only). Short ones (nearly all: fields) a code unit at
   *  a time: a call into Buffer.write costs more than the copy. */
  text(s: string): void {
    const n = s.length;
    this.reserve(n);
    if (n > 64) { this.pos += this.buf.write(s, this.pos, "latin1"); return; }
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }

  /** Bytes copied as they are (ASCII letters, a few at a time: a loop, no view object per call). */
  copy(from: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = start; i < end; i++) buf[pos++] = from[i];
    this.pos = pos;
  }

  /** A non-negative integer in decimal, as String(n) writes it. */
  uint(n: number): void {
    if (!(n >= 0 && n < TWO53 && Number.isInteger(n))) { this.text(String(n)); return; }
    this.reserve(16);
    let digits = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
    let at = this.pos + digits;
    this.pos = at;
    do {
      const q = Math.floor(n / 10);
      this.buf[--at] = DIGIT_0 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** Exactly `width` decimal digits of 0 <= n < 10^width, zero-padded. */
  padded(n: number, width: number): void {
    this.reserve(width);
    for (let at = this.pos + width - 1; at >= this.pos; at--) {
      const q = Math.floor(n / 10);
      this.buf[at] = DIGIT_0 + (n - q * 10);
      n = q;
    }
    this.pos += width;
  }

  /** The bytes so far, copied; the builder is empty again. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}
