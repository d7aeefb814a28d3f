// Preload (node --import) that prints the process's peak resident set size on stderr as it exits:
// "zk-maxrss-kb N". The memory test measures the real CLI with it, without /usr/bin/time.
import { writeSync } from "node:fs";

process.on("exit", () => {
  writeSync(2, `zk-maxrss-kb ${process.resourceUsage().maxRSS}\n`);
});
