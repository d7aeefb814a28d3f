// The reference captures of real traffic compared with themselves rewritten (re-segmented,
// re-fragmented, cut by a snaplen): each connection's conn.log row, by its key and start, before
// and after.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CAPTURES, capturesUnder } from "./captures.js";
import { runTrace, asRows, keyOf } from "./conn.js";

export type Row = Record<string, string>;

/** A connection's key in the maps of rows: its 5-tuple and its start. */
export const rowKey = (r: Row): string => `${keyOf(r)} ${r.ts}`;

/** Each connection's conn.log row (protocol detection on), by rowKey. `ignoreChecksums`: as -C. */
export function connectionRows(capture: Buffer, ignoreChecksums = false): Map<string, Row> {
  return new Map(asRows(runTrace(capture, { by: ["src", "service"], ignoreChecksums }).records).map((r) => [rowKey(r), r]));
}

/** The fields of `a` whose values in `b` differ, but those in `except`, as "field before -> after". */
export function changedFields(a: Row, b: Row, except: string[] = []): string[] {
  return Object.keys(a).filter((f) => !except.includes(f) && a[f] !== b[f]).map((f) => `${f} ${a[f]} -> ${b[f]}`);
}

/** A capture's rows before and after a change, each named by `label` and its key: the connections
 *  gone, those new (unless `isNew` allows them), and what `compare` finds in each one's rows. */
export function rowDifferences(label: string, before: Map<string, Row>, after: Map<string, Row>,
  compare: (before: Row, after: Row, key: string) => string[], isNew = (_key: string, _row: Row) => false): string[] {
  const differences: string[] = [];
  for (const [key, a] of before) {
    const b = after.get(key);
    if (!b) differences.push(`${label}: ${key} gone`);
    else for (const d of compare(a, b, key)) differences.push(`${label}: ${key} ${d}`);
  }
  for (const [key, row] of after) if (!before.has(key) && !isNew(key, row)) differences.push(`${label}: ${key} new`);
  return differences;
}

/** A reference capture and its rows; `rowsIgnoringChecksums` (as -C) once asked for. */
export interface Reference { file: string; name: string; capture: Buffer; rows: Map<string, Row>; rowsIgnoringChecksums?: Map<string, Row> }
let references: Reference[] | undefined;

/** Zeek's and nDPI's captures (formats/ holds framing cases), each read and run once. */
export function referenceCaptures(): Reference[] {
  references ??= ["zeek", "zeek-protocols", "ndpi"].flatMap((d) => capturesUnder(join(CAPTURES, d))).map((file) => {
    const capture = readFileSync(file);
    return { file, name: file.slice(CAPTURES.length + 1), capture, rows: connectionRows(capture) };
  });
  return references;
}

/** Every reference capture rewritten: the connections gone or new, and what `compare` finds in
 *  each connection's rows before and after (`file`: the capture's path); `rewritten` adds up what
 *  `rewrite` reports it changed. `ignoreChecksums`: both runs as -C. `isNew`: a new connection
 *  the rewrite may add (its key and row), not a difference. */
export function compareRewritten(rewrite: (capture: Buffer) => { capture: Buffer; rewritten: number },
  compare: (before: Row, after: Row, file: string) => string[],
  { ignoreChecksums = false, isNew = (_key: string, _row: Row) => false } = {}): { differences: string[]; rewritten: number } {
  const differences: string[] = [];
  let rewritten = 0;
  for (const ref of referenceCaptures()) {
    const out = rewrite(ref.capture);
    rewritten += out.rewritten;
    const before = ignoreChecksums ? (ref.rowsIgnoringChecksums ??= connectionRows(ref.capture, true)) : ref.rows;
    const after = connectionRows(out.capture, ignoreChecksums);
    differences.push(...rowDifferences(ref.name, before, after, (a, b) => compare(a, b, ref.file), isNew));
  }
  return { differences, rewritten };
}
