// Zeek's signature patterns (dpd.sig `payload /.../`) as one lazily built DFA per automaton.
//
// Zeek compiles the payload patterns of all signatures into one DFA, anchored at the start of
// each direction's payload stream, with `.` matching any byte (rule matchers are "multiline") and
// case-sensitive bytes. A pattern has matched as soon as an accepting state was reached, whatever
// follows. Here each pattern becomes positions of a Glushkov automaton in a shared position space
// (an NFA without epsilon moves); DFA states (sets of positions) are built on first use and cached,
// so matching costs one table lookup per byte once warm.
//
// Long stretches of payload keep the DFA in one state (a pattern like IRC's `(|.*[\r\n])NICK`
// waits for a line end through a whole HTTP header): 94% of the bytes on the benchmark capture.
// A state that loops to itself on all bytes but at most 8 ("exit bytes") gets nibble tables for
// them, and the matcher skips to the next exit byte 16 bytes at a time (dfaRun, skipToExit).
//
// Supported syntax: literals, \xHH and \-escapes, [...] classes with ranges, negation and
// [:space:]/[:digit:]/[:alpha:]/[:alnum:], `.`, (...), `|` (empty alternatives too), `*`, `+`,
// `?`, {n}, {n,m}, and a leading `^` (a no-op: patterns are anchored anyway).

const MAX_NODES: i32 = 2048;
const MAX_CLASSES: i32 = 1024;
const MAX_POS: i32 = 1536;
const MAX_W: i32 = MAX_POS / 64;

const N_EMPTY: u8 = 0;
const N_LEAF: u8 = 1;
const N_CAT: u8 = 2;
const N_ALT: u8 = 3;
const N_STAR: u8 = 4;
const N_PLUS: u8 = 5;
const N_OPT: u8 = 6;

// ------------------------------------------------------------------ builder scratch (static)

const nType = memory.data(MAX_NODES);
const nA = memory.data(MAX_NODES * 4);
const nB = memory.data(MAX_NODES * 4);
const nNull = memory.data(MAX_NODES);
const classes = memory.data(MAX_CLASSES * 32);
const posClass = memory.data(MAX_POS * 4);
const posSig = memory.data(MAX_POS);
let nFirst: usize = 0; // MAX_NODES x MAX_W words, heap
let nLast: usize = 0;
let bFollow: usize = 0; // MAX_POS x MAX_W words
let bStart: usize = 0;  // MAX_W words
let bLast: usize = 0;   // MAX_W words: accepting positions of any pattern

let nodeCount: i32 = 0;
let classCount: i32 = 0;
let posCount: i32 = 0;
let pat: string = "";
let at: i32 = 0;

function fail(): void {
  unreachable();
}

function node(t: u8, a: i32, b: i32): i32 {
  if (nodeCount >= MAX_NODES) fail();
  const n = nodeCount++;
  store<u8>(nType + n, t);
  store<i32>(nA + (<usize>n << 2), a);
  store<i32>(nB + (<usize>n << 2), b);
  return n;
}

function newClass(): i32 {
  if (classCount >= MAX_CLASSES) fail();
  const c = classCount++;
  memory.fill(classes + (<usize>c << 5), 0, 32);
  return c;
}

// @ts-ignore: decorator
@inline function classAdd(c: i32, byte: u32): void {
  const p = classes + (<usize>c << 5) + (byte >> 3);
  store<u8>(p, load<u8>(p) | <u8>(<u32>1 << (byte & 7)));
}

// @ts-ignore: decorator
@inline function classHas(c: i32, byte: u32): bool {
  return ((load<u8>(classes + (<usize>c << 5) + (byte >> 3)) >> (byte & 7)) & 1) != 0;
}

function peek(): i32 { return at < pat.length ? pat.charCodeAt(at) : -1; }

function hexVal(ch: i32): i32 {
  if (ch >= 48 && ch <= 57) return ch - 48;
  if (ch >= 97 && ch <= 102) return ch - 87;
  if (ch >= 65 && ch <= 70) return ch - 55;
  fail();
  return 0;
}

/** After a backslash: the byte it stands for. */
function escapeByte(): u32 {
  const ch = pat.charCodeAt(at++);
  if (ch == 120) { // x
    const hi = hexVal(pat.charCodeAt(at++));
    const lo = hexVal(pat.charCodeAt(at++));
    return <u32>(hi * 16 + lo);
  }
  if (ch == 110) return 10; // n
  if (ch == 114) return 13; // r
  if (ch == 116) return 9;  // t
  if (ch == 48) return 0;   // 0
  return <u32>ch;
}

function namedClass(c: i32, name: string): void {
  for (let b: u32 = 0; b < 256; b++) {
    let yes = false;
    if (name == "space") yes = b == 32 || (b >= 9 && b <= 13);
    else if (name == "digit") yes = b >= 48 && b <= 57;
    else if (name == "alpha") yes = (b >= 65 && b <= 90) || (b >= 97 && b <= 122);
    else if (name == "alnum") yes = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122);
    else fail();
    if (yes) classAdd(c, b);
  }
}

function parseClass(): i32 {
  // `at` is just past '['
  const c = newClass();
  let negate = false;
  if (peek() == 94) { negate = true; at++; }
  let first = true;
  while (true) {
    const ch = peek();
    if (ch < 0) fail();
    if (ch == 93 && !first) { at++; break; } // ]
    first = false;
    if (ch == 91 && at + 1 < pat.length && pat.charCodeAt(at + 1) == 58) { // [:name:]
      const end = pat.indexOf(":]", at + 2);
      if (end < 0) fail();
      namedClass(c, pat.substring(at + 2, end));
      at = end + 2;
      continue;
    }
    let lo: u32;
    at++;
    if (ch == 92) lo = escapeByte(); else lo = <u32>ch;
    let hi = lo;
    if (peek() == 45 && at + 1 < pat.length && pat.charCodeAt(at + 1) != 93) { // a-b
      at++;
      const ch2 = pat.charCodeAt(at++);
      if (ch2 == 92) hi = escapeByte(); else hi = <u32>ch2;
    }
    for (let b = lo; b <= hi; b++) classAdd(c, b);
  }
  if (negate) {
    const p = classes + (<usize>c << 5);
    for (let i = 0; i < 32; i++) store<u8>(p + i, ~load<u8>(p + i));
  }
  return node(N_LEAF, c, 0);
}

function leafByte(b: u32): i32 {
  const c = newClass();
  classAdd(c, b);
  return node(N_LEAF, c, 0);
}

function parseAtom(): i32 {
  const ch = pat.charCodeAt(at++);
  if (ch == 40) { // (
    const inner = parseAlt();
    if (peek() != 41) fail();
    at++;
    return inner;
  }
  if (ch == 91) return parseClass();
  if (ch == 46) { // . : any byte, newline included
    const c = newClass();
    memory.fill(classes + (<usize>c << 5), 0xff, 32);
    return node(N_LEAF, c, 0);
  }
  if (ch == 92) return leafByte(escapeByte());
  return leafByte(<u32>ch);
}

function parseNumber(): i32 {
  let v = 0;
  let any = false;
  while (peek() >= 48 && peek() <= 57) { v = v * 10 + (pat.charCodeAt(at++) - 48); any = true; }
  if (!any) fail();
  return v;
}

/** A deep copy of the subtree at n (leaves share their class). */
function copyTree(n: i32): i32 {
  const t = load<u8>(nType + n);
  if (t == N_EMPTY) return node(N_EMPTY, 0, 0);
  if (t == N_LEAF) return node(N_LEAF, load<i32>(nA + (<usize>n << 2)), 0);
  const a = copyTree(load<i32>(nA + (<usize>n << 2)));
  const b = (t == N_CAT || t == N_ALT) ? copyTree(load<i32>(nB + (<usize>n << 2))) : 0;
  return node(t, a, b);
}

function parseRepeat(): i32 {
  let n = parseAtom();
  while (true) {
    const ch = peek();
    if (ch == 42) { at++; n = node(N_STAR, n, 0); }
    else if (ch == 43) { at++; n = node(N_PLUS, n, 0); }
    else if (ch == 63) { at++; n = node(N_OPT, n, 0); }
    else if (ch == 123) { // {n} or {n,m}
      at++;
      const lo = parseNumber();
      let hi = lo;
      if (peek() == 44) { at++; hi = parseNumber(); }
      if (peek() != 125) fail();
      at++;
      let out = -1;
      for (let i = 0; i < hi; i++) {
        let piece = i == 0 ? n : copyTree(n);
        if (i >= lo) piece = node(N_OPT, piece, 0);
        out = out < 0 ? piece : node(N_CAT, out, piece);
      }
      n = out < 0 ? node(N_EMPTY, 0, 0) : out;
    } else break;
  }
  return n;
}

function parseCat(): i32 {
  let n = -1;
  while (true) {
    const ch = peek();
    if (ch < 0 || ch == 124 || ch == 41) break; // end, |, )
    if (ch == 94 && n < 0) { at++; continue; } // leading ^
    const r = parseRepeat();
    n = n < 0 ? r : node(N_CAT, n, r);
  }
  return n < 0 ? node(N_EMPTY, 0, 0) : n;
}

function parseAlt(): i32 {
  let n = parseCat();
  while (peek() == 124) {
    at++;
    n = node(N_ALT, n, parseCat());
  }
  return n;
}

// ------------------------------------------------------------------ Glushkov construction

// @ts-ignore: decorator
@inline function setOf(base: usize, i: i32): usize { return base + (<usize>i * MAX_W << 3); }

function setClear(s: usize): void { memory.fill(s, 0, MAX_W << 3); }
function setCopy(d: usize, s: usize): void { memory.copy(d, s, MAX_W << 3); }
function setOr(d: usize, s: usize): void {
  for (let w = 0; w < MAX_W; w++) store<u64>(d + (w << 3), load<u64>(d + (w << 3)) | load<u64>(s + (w << 3)));
}

/** follow(p) |= to, for every p in from. */
function addFollow(from: usize, to: usize): void {
  for (let w = 0; w < MAX_W; w++) {
    let bits = load<u64>(from + (w << 3));
    while (bits != 0) {
      const p = (w << 6) + <i32>ctz(bits);
      setOr(setOf(bFollow, p), to);
      bits &= bits - 1;
    }
  }
}

function glushkov(n: i32, sig: i32): void {
  const t = load<u8>(nType + n);
  const a = load<i32>(nA + (<usize>n << 2));
  const b = load<i32>(nB + (<usize>n << 2));
  const first = setOf(nFirst, n), last = setOf(nLast, n);
  setClear(first);
  setClear(last);
  let nul = false;
  if (t == N_EMPTY) {
    nul = true;
  } else if (t == N_LEAF) {
    if (posCount >= MAX_POS) fail();
    const p = posCount++;
    store<i32>(posClass + (<usize>p << 2), a);
    store<u8>(posSig + p, <u8>sig);
    const w = first + (<usize>(p >> 6) << 3);
    store<u64>(w, <u64>1 << (p & 63));
    setCopy(last, first);
  } else if (t == N_CAT) {
    glushkov(a, sig);
    glushkov(b, sig);
    const na = load<u8>(nNull + a) != 0, nb = load<u8>(nNull + b) != 0;
    addFollow(setOf(nLast, a), setOf(nFirst, b));
    setCopy(first, setOf(nFirst, a));
    if (na) setOr(first, setOf(nFirst, b));
    setCopy(last, setOf(nLast, b));
    if (nb) setOr(last, setOf(nLast, a));
    nul = na && nb;
  } else if (t == N_ALT) {
    glushkov(a, sig);
    glushkov(b, sig);
    setCopy(first, setOf(nFirst, a));
    setOr(first, setOf(nFirst, b));
    setCopy(last, setOf(nLast, a));
    setOr(last, setOf(nLast, b));
    nul = load<u8>(nNull + a) != 0 || load<u8>(nNull + b) != 0;
  } else {
    glushkov(a, sig);
    setCopy(first, setOf(nFirst, a));
    setCopy(last, setOf(nLast, a));
    nul = t != N_PLUS || load<u8>(nNull + a) != 0;
    if (t != N_OPT) addFollow(last, first);
  }
  store<u8>(nNull + n, nul ? 1 : 0);
}

/** Start a new automaton. */
export function autoBegin(): void {
  if (nFirst == 0) {
    nFirst = heap.alloc(<usize>MAX_NODES * MAX_W << 3);
    nLast = heap.alloc(<usize>MAX_NODES * MAX_W << 3);
    bFollow = heap.alloc(<usize>MAX_POS * MAX_W << 3);
    bStart = heap.alloc(<usize>MAX_W << 3);
    bLast = heap.alloc(<usize>MAX_W << 3);
  }
  memory.fill(bFollow, 0, <usize>MAX_POS * MAX_W << 3);
  setClear(bStart);
  setClear(bLast);
  posCount = 0;
  classCount = 0;
}

/** Add pattern `pattern` whose matches report bit `sig` (0..61; 63 is a row flag). */
export function autoAdd(pattern: string, sig: i32): void {
  pat = pattern;
  at = 0;
  nodeCount = 0;
  const root = parseAlt();
  if (at != pat.length) fail();
  glushkov(root, sig);
  setOr(bStart, setOf(nFirst, root));
  setOr(bLast, setOf(nLast, root));
}

// ------------------------------------------------------------------ the automaton and its DFA

// Automaton header.
const A_W: usize = 0;        // u32 words per position set
const A_NPOS: usize = 4;     // u32
const A_FOLLOW: usize = 8;   // ptr: npos x W words
const A_BYTES: usize = 12;   // ptr: 256 x W words
const A_START: usize = 16;   // ptr: W words
const A_LAST: usize = 20;    // ptr: W words
const A_POSSIG: usize = 24;  // ptr: npos bytes
const A_NSTATES: usize = 28; // u32
const A_CAP: usize = 32;     // u32 state capacity
const A_SETS: usize = 36;    // ptr: cap x W words
const A_SKIP: usize = 40;    // ptr: cap x 32 bytes: a state's exit-byte nibble tables (ROW_SKIPS)
const A_TRANS: usize = 44;   // ptr: cap rows: the state's accepted patterns (u64), then a u32
                             // transition per byte class (0 until computed)
const A_HASH: usize = 48;    // ptr: hcap x u32 (state + 1)
const A_HMASK: usize = 52;   // u32
const A_TMP: usize = 56;     // ptr: W words scratch
const A_ROW_SHIFT: usize = 60; // u32: log2 of a transition row's bytes
const A_CLASS_OF: usize = 64;  // ptr: 256 x u32, the offset of a byte's class in a row
const A_LOOKED: usize = 72;    // ptr: cap bytes: 1 once skipTables looked at the state
const A_SIZE: usize = 80;

const MAX_STATES: u32 = 16384;

/** DFA state ids: 0 is dead (no pattern can match any more), 1 is the start. */
export const DFA_DEAD: u32 = 0;
export const DFA_START: u32 = 1;
/** Transition entries: the next state's row offset (state << row shift) | T_KNOWN (0: not
 *  computed yet). */
const T_KNOWN: u32 = 1;
const ROW_ACC: usize = 0;      // u64 at the start of each row: accepted patterns, and a flag
/** Row flag: the state has exit-byte tables (A_SKIP); the sign bit, tested with one compare. A row
 *  without accepted patterns or this flag (most) reads 0, and costs the matcher one test. */
const ROW_SKIPS: u64 = <u64>1 << 63;
const SKIP_SIZE: usize = 32;   // two v128 nibble tables per state
const MAX_EXITS: u32 = 8;      // one bit of a nibble table's byte per exit byte
const ROW_ENTRIES: usize = 8;

/** Freeze the patterns added since autoBegin() into an automaton. */
export function autoFinish(): usize {
  const W = <u32>((posCount + 63) >> 6) | 1;
  const a = heap.alloc(A_SIZE);
  store<u32>(a + A_W, W);
  store<u32>(a + A_NPOS, <u32>posCount);
  const follow = heap.alloc(<usize>posCount * W << 3);
  for (let p = 0; p < posCount; p++) memory.copy(follow + (<usize>p * W << 3), setOf(bFollow, p), <usize>W << 3);
  store<usize>(a + A_FOLLOW, follow);
  const bytes = heap.alloc(<usize>256 * W << 3);
  memory.fill(bytes, 0, <usize>256 * W << 3);
  for (let p = 0; p < posCount; p++) {
    const c = load<i32>(posClass + (<usize>p << 2));
    for (let b: u32 = 0; b < 256; b++) {
      if (!classHas(c, b)) continue;
      const q = bytes + (<usize>(b * W + (<u32>p >> 6)) << 3);
      store<u64>(q, load<u64>(q) | (<u64>1 << (p & 63)));
    }
  }
  store<usize>(a + A_BYTES, bytes);
  setByteClasses(a, bytes, W);
  const start = heap.alloc(<usize>W << 3);
  memory.copy(start, bStart, <usize>W << 3);
  store<usize>(a + A_START, start);
  const last = heap.alloc(<usize>W << 3);
  memory.copy(last, bLast, <usize>W << 3);
  store<usize>(a + A_LAST, last);
  const possig = heap.alloc(<usize>posCount + 1);
  memory.copy(possig, posSig, <usize>posCount);
  store<usize>(a + A_POSSIG, possig);
  store<usize>(a + A_TMP, heap.alloc(<usize>W << 3));
  // state table: 0 dead (empty set), 1 start (its set is unused)
  const cap: u32 = 64;
  store<u32>(a + A_CAP, cap);
  store<usize>(a + A_SETS, heap.alloc(<usize>cap * W << 3));
  store<usize>(a + A_SKIP, heap.alloc(<usize>cap * SKIP_SIZE));
  const looked = heap.alloc(<usize>cap);
  memory.fill(looked, 0, <usize>cap);
  store<usize>(a + A_LOOKED, looked);
  const rowShift = load<u32>(a + A_ROW_SHIFT);
  const trans = heap.alloc(<usize>cap << rowShift);
  memory.fill(trans, 0, <usize>cap << rowShift);
  store<usize>(a + A_TRANS, trans);
  const hcap: u32 = 256;
  const hash = heap.alloc(<usize>hcap << 2);
  memory.fill(hash, 0, <usize>hcap << 2);
  store<usize>(a + A_HASH, hash);
  store<u32>(a + A_HMASK, hcap - 1);
  store<u32>(a + A_NSTATES, 0);
  const tmp = load<usize>(a + A_TMP);
  memory.fill(tmp, 0, <usize>W << 3);
  addState(a, tmp); // 0: dead
  addState(a, tmp); // 1: start (never looked up by set)
  deadSkipsAll(a);
  return a;
}

/**
 * The dead state loops to itself on every byte and skips with no exit byte, so that the matcher
 * reaching it skips to the chunk's end rather than test for it at every byte.
 */
function deadSkipsAll(a: usize): void {
  const rowShift = load<u32>(a + A_ROW_SHIFT);
  const row = load<usize>(a + A_TRANS) + (<usize>DFA_DEAD << rowShift);
  const self = (DFA_DEAD << rowShift) | T_KNOWN;
  for (let at = row + ROW_ENTRIES; at < row + (<usize>1 << rowShift); at += 4) store<u32>(at, self);
  store<u64>(row, ROW_SKIPS, ROW_ACC);
  store<u8>(load<usize>(a + A_LOOKED) + <usize>DFA_DEAD, 1);
  memory.fill(load<usize>(a + A_SKIP) + <usize>DFA_DEAD * SKIP_SIZE, 0, SKIP_SIZE); // no exit byte
}

/**
 * Bytes that no pattern position tells apart (the same position set in `bytes`) share a class,
 * so a transition row has one entry per class rather than per byte: the rows of every state a
 * connection reaches then fit the L1 cache, which the per-byte chain of dependent loads needs.
 * Each row starts with its state's accepted patterns, so that matching ORs them in without a
 * branch and without a second table.
 */
function setByteClasses(a: usize, bytes: usize, W: u32): void {
  const classOf = heap.alloc(256 * 4);
  const reps = memory.data(256); // a byte of each class so far
  let n: u32 = 0;
  for (let b: u32 = 0; b < 256; b++) {
    const set = bytes + (<usize>b * W << 3);
    let c: u32 = 0;
    while (c < n && !setEq(bytes + (<usize>load<u8>(reps + c) * W << 3), set, W)) c++;
    if (c == n) store<u8>(reps + n++, <u8>b);
    store<u32>(classOf + (<usize>b << 2), <u32>ROW_ENTRIES + (c << 2));
  }
  store<usize>(a + A_CLASS_OF, classOf);
  store<u32>(a + A_ROW_SHIFT, 32 - clz(<u32>ROW_ENTRIES + n * 4 - 1)); // a power of two in size
}

function setHash(s: usize, W: u32): u32 {
  let h: u64 = 0x9e3779b97f4a7c15;
  for (let w: u32 = 0; w < W; w++) {
    h ^= load<u64>(s + (<usize>w << 3));
    h *= 0xff51afd7ed558ccd;
    h ^= h >> 29;
  }
  return <u32>(h ^ (h >> 32));
}

function setEq(x: usize, y: usize, W: u32): bool {
  for (let w: u32 = 0; w < W; w++) if (load<u64>(x + (<usize>w << 3)) != load<u64>(y + (<usize>w << 3))) return false;
  return true;
}

/** Appends a state for set s (not in the hash yet); returns its id, or DFA_DEAD when full. */
function addState(a: usize, s: usize): u32 {
  const W = load<u32>(a + A_W);
  let n = load<u32>(a + A_NSTATES);
  if (n >= MAX_STATES) return DFA_DEAD;
  let cap = load<u32>(a + A_CAP);
  if (n == cap) {
    const ncap = cap * 2;
    store<usize>(a + A_SETS, heap.realloc(load<usize>(a + A_SETS), <usize>ncap * W << 3));
    store<usize>(a + A_SKIP, heap.realloc(load<usize>(a + A_SKIP), <usize>ncap * SKIP_SIZE));
    const looked = heap.realloc(load<usize>(a + A_LOOKED), <usize>ncap);
    memory.fill(looked + <usize>cap, 0, <usize>(ncap - cap));
    store<usize>(a + A_LOOKED, looked);
    const rowShift = load<u32>(a + A_ROW_SHIFT);
    const trans = heap.realloc(load<usize>(a + A_TRANS), <usize>ncap << rowShift);
    memory.fill(trans + (<usize>cap << rowShift), 0, <usize>(ncap - cap) << rowShift); // not computed yet
    store<usize>(a + A_TRANS, trans);
    store<u32>(a + A_CAP, ncap);
    cap = ncap;
    // rehash with twice the states' capacity
    const hcap = ncap * 4;
    heap.free(load<usize>(a + A_HASH));
    const hash = heap.alloc(<usize>hcap << 2);
    memory.fill(hash, 0, <usize>hcap << 2);
    store<usize>(a + A_HASH, hash);
    store<u32>(a + A_HMASK, hcap - 1);
    for (let i: u32 = 2; i < n; i++) hashInsert(a, i);
  }
  memory.copy(load<usize>(a + A_SETS) + (<usize>n * W << 3), s, <usize>W << 3);
  // which patterns accept in this state
  const last = load<usize>(a + A_LAST), possig = load<usize>(a + A_POSSIG);
  let acc: u64 = 0;
  for (let w: u32 = 0; w < W; w++) {
    let bits = load<u64>(s + (<usize>w << 3)) & load<u64>(last + (<usize>w << 3));
    while (bits != 0) {
      acc |= <u64>1 << load<u8>(possig + (w << 6) + <u32>ctz(bits));
      bits &= bits - 1;
    }
  }
  store<u64>(load<usize>(a + A_TRANS) + (<usize>n << load<u32>(a + A_ROW_SHIFT)) + ROW_ACC, acc);
  store<u32>(a + A_NSTATES, n + 1);
  if (n >= 2) hashInsert(a, n);
  return n;
}

function hashInsert(a: usize, id: u32): void {
  const W = load<u32>(a + A_W);
  const s = load<usize>(a + A_SETS) + (<usize>id * W << 3);
  const mask = load<u32>(a + A_HMASK);
  const hash = load<usize>(a + A_HASH);
  let i = setHash(s, W) & mask;
  while (load<u32>(hash + (<usize>i << 2)) != 0) i = (i + 1) & mask;
  store<u32>(hash + (<usize>i << 2), id + 1);
}

function findState(a: usize, s: usize): u32 {
  const W = load<u32>(a + A_W);
  let empty = true;
  for (let w: u32 = 0; w < W; w++) if (load<u64>(s + (<usize>w << 3)) != 0) { empty = false; break; }
  if (empty) return DFA_DEAD;
  const mask = load<u32>(a + A_HMASK);
  const hash = load<usize>(a + A_HASH);
  const sets = load<usize>(a + A_SETS);
  let i = setHash(s, W) & mask;
  while (true) {
    const e = load<u32>(hash + (<usize>i << 2));
    if (e == 0) break;
    if (setEq(sets + (<usize>(e - 1) * W << 3), s, W)) return e - 1;
    i = (i + 1) & mask;
  }
  return addState(a, s);
}

/** Computes (and caches) the transition of state `from` on `byte`. Returns the table entry. */
function computeTrans(a: usize, from: u32, byte: u32): u32 {
  const W = load<u32>(a + A_W);
  const tmp = load<usize>(a + A_TMP);
  memory.fill(tmp, 0, <usize>W << 3);
  if (from == DFA_START) {
    memory.copy(tmp, load<usize>(a + A_START), <usize>W << 3);
  } else {
    const s = load<usize>(a + A_SETS) + (<usize>from * W << 3);
    const follow = load<usize>(a + A_FOLLOW);
    for (let w: u32 = 0; w < W; w++) {
      let bits = load<u64>(s + (<usize>w << 3));
      while (bits != 0) {
        const f = follow + (<usize>((w << 6) + <u32>ctz(bits)) * W << 3);
        for (let v: u32 = 0; v < W; v++) store<u64>(tmp + (<usize>v << 3), load<u64>(tmp + (<usize>v << 3)) | load<u64>(f + (<usize>v << 3)));
        bits &= bits - 1;
      }
    }
  }
  const bm = load<usize>(a + A_BYTES) + (<usize>byte * W << 3);
  for (let v: u32 = 0; v < W; v++) store<u64>(tmp + (<usize>v << 3), load<u64>(tmp + (<usize>v << 3)) & load<u64>(bm + (<usize>v << 3)));
  const to = findState(a, tmp);
  const rowShift = load<u32>(a + A_ROW_SHIFT);
  const entry = (to << rowShift) | T_KNOWN;
  // the tables may have moved while adding a state
  const at = load<usize>(a + A_TRANS) + (<usize>from << rowShift) + load<u32>(load<usize>(a + A_CLASS_OF) + (<usize>byte << 2));
  // a full table cannot hold new states: don't cache a dead end caused by that
  if (to != DFA_DEAD || load<u32>(a + A_NSTATES) < MAX_STATES) store<u32>(at, entry);
  if (to == from && to != DFA_DEAD) skipTables(a, from);
  return entry;
}

/**
 * State s loops to itself on some byte: if it does on all bytes but at most MAX_EXITS, build the
 * nibble tables of those exit bytes and flag its row (ROW_SKIPS). Once per state. Its other
 * transitions are computed first while the table is less than half full; a transition still
 * unknown counts as an exit (the matcher then computes it as usual).
 */
function skipTables(a: usize, s: u32): void {
  const rowShift = load<u32>(a + A_ROW_SHIFT);
  const classOf = load<usize>(a + A_CLASS_OF);
  let rowAt = load<usize>(a + A_TRANS) + (<usize>s << rowShift);
  const looked = load<usize>(a + A_LOOKED) + <usize>s;
  if (load<u8>(looked) != 0) return;
  store<u8>(looked, 1);
  if (load<u32>(a + A_NSTATES) < MAX_STATES / 2) {
    for (let b: u32 = 0; b < 256; b++) {
      rowAt = load<usize>(a + A_TRANS) + (<usize>s << rowShift); // computeTrans may move the table
      if (load<u32>(rowAt + <usize>load<u32>(classOf + (<usize>b << 2))) == 0) computeTrans(a, s, b);
    }
    rowAt = load<usize>(a + A_TRANS) + (<usize>s << rowShift);
  }
  // exit byte k sets bit k at its low nibble in the first table and at its high nibble in the
  // second: a byte hits both only if it is an exit byte
  const self = (s << rowShift) | T_KNOWN;
  const at = load<usize>(a + A_SKIP) + <usize>s * SKIP_SIZE;
  memory.fill(at, 0, SKIP_SIZE);
  let exits: u32 = 0;
  for (let b: u32 = 0; b < 256; b++) {
    if (load<u32>(rowAt + <usize>load<u32>(classOf + (<usize>b << 2))) == self) continue;
    if (exits == MAX_EXITS) return;
    const bit = <u8>(<u32>1 << exits);
    exits++;
    store<u8>(at + (b & 15), load<u8>(at + (b & 15)) | bit);
    store<u8>(at + 16 + (b >> 4), load<u8>(at + 16 + (b >> 4)) | bit);
  }
  store<u64>(rowAt, load<u64>(rowAt, ROW_ACC) | ROW_SKIPS, ROW_ACC);
}

/** Bit k set when byte k of v is an exit byte of the nibble tables lo and hi. */
// @ts-ignore: decorator
@inline function exitBits(v: v128, lo: v128, hi: v128, nibble: v128): u32 {
  // (a 16-bit shift and a mask: V8 builds i8x16.shr_u's mask anew each time; and no i8x16.ne,
  // which V8 makes an equality and a negation)
  const hit = v128.and(i8x16.swizzle(lo, v128.and(v, nibble)), i8x16.swizzle(hi, v128.and(i16x8.shr_u(v, 4), nibble)));
  return ~<u32>i8x16.bitmask(i8x16.eq(hit, i8x16.splat(0))) & 0xffff;
}

/**
 * The first address from q whose byte is an exit byte of the nibble tables at t, 16 bytes at a
 * time, or end when there is none: the chunk's last bytes are looked at in its last 16 (those
 * before q masked out). A chunk [p, end) shorter than 16 bytes is left to the matcher byte by byte
 * (returns q). Reads no byte outside [p, end).
 */
// @ts-ignore: decorator
@inline function skipToExit(p: usize, q: usize, end: usize, t: usize): usize {
  if (end - p < 16) return q;
  const lo = v128.load(t), hi = v128.load(t, 16), nibble = i8x16.splat(15);
  const last = end - 16; // (at or after p; q + 16 could wrap at the top of memory)
  while (q <= last) {
    const bits = exitBits(v128.load(q), lo, hi, nibble);
    if (bits != 0) return q + ctz(bits);
    q += 16;
  }
  if (q == end) return q;
  const bits = exitBits(v128.load(last), lo, hi, nibble) >> <u32>(q - last);
  return bits != 0 ? q + ctz(bits) : end;
}

/** Patterns matched: accumulated by dfaRun. */
export let dfaMatched: u64 = 0;

/**
 * Runs `len` bytes at `p` from `state`; returns the new state and ORs the patterns whose accepting
 * state was reached into dfaMatched.
 */
export function dfaRun(a: usize, state: u32, p: usize, len: u32): u32 {
  // Only the byte, its class and the transition are on the hot path, so that its values stay in
  // registers: the row shift and the automaton are read again where they are needed.
  const classOf = load<usize>(a + A_CLASS_OF);
  let tt = load<usize>(a + A_TRANS);
  // the current state's row offset: one dependent load per byte, in a table that stays in L1
  let row = <usize>state << load<u32>(a + A_ROW_SHIFT);
  const end = p + len;
  // (a dead state ends the loop by skipping to the end: deadSkipsAll)
  for (let q = p; q < end; q++) {
    let e = load<u32>(tt + row + <usize>load<u32>(classOf + (<usize>load<u8>(q) << 2)));
    if (e == 0) {
      e = computeTrans(a, <u32>(row >> load<u32>(a + A_ROW_SHIFT)), load<u8>(q));
      tt = load<usize>(a + A_TRANS); // adding a state may have moved the table
    }
    row = <usize>(e & ~T_KNOWN);
    const acc = load<u64>(tt + row, ROW_ACC);
    if (acc == 0) continue;
    dfaMatched |= acc & ~ROW_SKIPS;
    // the bytes up to the next exit byte keep this state: skip them
    if (<i64>acc < 0) q = skipToExit(p, q + 1, end, load<usize>(a + A_SKIP) + (row >> load<u32>(a + A_ROW_SHIFT)) * SKIP_SIZE) - 1;
  }
  return <u32>(row >> load<u32>(a + A_ROW_SHIFT));
}
