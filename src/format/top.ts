// Writers for top-N rows: table (aligned, with header), tsv, csv, json, zeek (the diary's lines).
import type { KeyField, Metric, TopRow } from "../engine.js";
import { zeekPort } from "./addr.js";

export const FORMATS = ["table", "tsv", "csv", "json", "zeek"] as const;
export type Format = (typeof FORMATS)[number];

/** Column names and cell values, in --by order then the metric. */
function columns(by: KeyField[], metric: Metric): string[] {
  const cols: string[] = [];
  for (const f of by) {
    if (f === "dport") cols.push("dport", "proto");
    else cols.push(f);
  }
  cols.push(metric === "conns" ? "count" : metric);
  return cols;
}

function metricValue(row: TopRow, metric: Metric): number {
  return metric === "conns" ? row.conns : metric === "pkts" ? row.pkts : row.bytes;
}

function cells(row: TopRow, by: KeyField[], metric: Metric): (string | number)[] {
  const out: (string | number)[] = [];
  for (const f of by) {
    if (f === "src") out.push(row.src ?? "");
    else if (f === "dst") out.push(row.dst ?? "");
    else if (f === "dport") out.push(row.dport ?? 0, row.proto ?? "");
    else if (f === "service") out.push(row.service ?? "");
  }
  out.push(metricValue(row, metric));
  return out;
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The whole output for one table of rows, ending with a newline (empty string for no zeek rows). */
export function formatTop(rows: TopRow[], by: KeyField[], metric: Metric, format: Format): string {
  switch (format) {
    case "json":
      return JSON.stringify(rows.map((r) => {
        const o: Record<string, string | number> = {};
        const cols = columns(by, metric);
        cells(r, by, metric).forEach((v, i) => { o[cols[i]] = v; });
        return o;
      })) + "\n";
    case "tsv":
      return [columns(by, metric), ...rows.map((r) => cells(r, by, metric))].map((c) => c.join("\t")).join("\n") + "\n";
    case "csv":
      return [columns(by, metric), ...rows.map((r) => cells(r, by, metric))].map((c) => c.map(csvCell).join(",")).join("\n") + "\n";
    case "zeek":
      return rows.map((r) => zeekLine(r, by, metric) + "\n").join("");
    case "table":
      return table([columns(by, metric), ...rows.map((r) => cells(r, by, metric).map(String))]);
  }
}

/**
 * The diary's lines: fmt("%s %s %s", count, addr, port) for connection keys (count first, then the
 * key as Zeek prints it); fmt("%s,%s,%s", addr, tag, count) for keys with an analyzer (the key
 * first, comma-separated, the analyzer as Zeek's tag, the count last).
 */
function zeekLine(r: TopRow, by: KeyField[], metric: Metric): string {
  const key: string[] = [];
  for (const f of by) {
    if (f === "src") key.push(r.src ?? "");
    else if (f === "dst") key.push(r.dst ?? "");
    else if (f === "dport") key.push(zeekPort(r.dport ?? 0, r.transport ?? 0));
    else if (f === "service") key.push(r.tag ?? "");
  }
  const count = String(metricValue(r, metric));
  return by.includes("service") ? [...key, count].join(",") : [count, ...key].join(" ");
}

/** Aligned columns: text left, numbers right. */
function table(lines: string[][]): string {
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const numeric = lines[0].map((_, i) => lines.length > 1 && lines.slice(1).every((l) => /^\d+$/.test(l[i])));
  return lines.map((l) => l.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd()).join("\n") + "\n";
}
