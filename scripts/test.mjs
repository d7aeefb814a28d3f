#!/usr/bin/env node
// Runs the uvu suite (TypeScript through tsx) and ends with the line CI reads:
// "N passed, N failed". Keeps uvu's exit code; a crash before uvu's summary counts as a failure.
// Usage: npm test [-- PATTERN]   (PATTERN filters test files, e.g. "framing")
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const uvuBin = fileURLToPath(new URL("../node_modules/uvu/bin.js", import.meta.url));
const pattern = process.argv[2] ? `${process.argv[2]}.*\\.test\\.ts$` : "\\.test\\.ts$";

const child = spawn(process.execPath, ["--import", "tsx", uvuBin, "test", pattern], {
  stdio: ["ignore", "pipe", "inherit"],
  env: { ...process.env, FORCE_COLOR: "0" },
});

let out = "";
child.stdout.on("data", (d) => {
  process.stdout.write(d);
  out += d.toString();
});
child.on("close", (code, signal) => {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, "");
  const total = /Total:\s+(\d+)/.exec(plain);
  const passed = /Passed:\s+(\d+)/.exec(plain);
  const skipped = /Skipped:\s+(\d+)/.exec(plain);
  if (!total || !passed) {
    console.log(`\nthe test run ended before its summary (exit ${code ?? signal})`);
    console.log("0 passed, 1 failed");
    process.exit(code || 1);
  }
  const p = Number(passed[1]);
  const s = skipped ? Number(skipped[1]) : 0;
  const f = Number(total[1]) - p - s;
  console.log(`\n${p} passed, ${f} failed${s ? `, ${s} skipped` : ""}`);
  process.exit(code ?? 1);
});
