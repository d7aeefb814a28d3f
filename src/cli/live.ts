// Live use of the command line: a progress line on stderr (file input, a TTY only) and a top-N
// printed every --interval (redrawn in place on a TTY, one complete table per tick elsewhere).
import { fstatSync } from "node:fs";
import type { Engine } from "../engine.js";
import type { FeedHooks } from "../input.js";

/** Where live output goes: process.stdout / process.stderr, or a test double. */
export interface Screen {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  write(text: string): boolean;
}

const MiB = 1024 * 1024;

function mib(n: number): string {
  return `${(n / MiB).toFixed(1)} MiB`;
}

function grouped(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * "capture.pcap  12.0 MiB / 193.0 MiB (6%)  41,338 packets  310.2 MiB/s" on one line of stderr,
 * redrawn at most every `everyMs`, erased before anything else is printed.
 */
export class Progress {
  private name = "";
  private size = 0;
  private done = 0;
  private opened = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly engine: Engine, private readonly out: Screen = process.stderr, private readonly everyMs = 100) {}

  /** On for file input when stderr is a terminal, unless --no-progress. */
  static wanted(noProgress: boolean, err: Screen = process.stderr): boolean {
    return !noProgress && err.isTTY === true;
  }

  /** Hooks for feedSource on one input; stdin gets none (its size is unknown). */
  hooks(name: string): FeedHooks {
    if (name === "-") return {};
    return {
      onOpen: (size) => {
        this.name = name;
        this.size = size;
        this.done = 0;
        this.opened = Date.now();
        this.lastDraw = 0;
      },
      onRead: (n) => { this.done += n; },
      afterChunk: () => this.tick(),
    };
  }

  /** After a chunk went through the engine: redraw if the last drawing is old enough. */
  tick(): void {
    if (this.opened === 0) return;
    const now = Date.now();
    if (now - this.lastDraw < this.everyMs) return;
    this.lastDraw = now;
    this.draw(now);
  }

  line(now = Date.now(), width = 80): string {
    const secs = (now - this.opened) / 1000;
    const rate = secs > 0 ? `  ${mib(this.done / secs)}/s` : "";
    // a pipe has no size: what was read so far
    const read = this.size > 0 ? `${mib(this.done)} / ${mib(this.size)} (${Math.floor((this.done / this.size) * 100)}%)` : mib(this.done);
    const figures = `  ${read}  ${grouped(this.engine.stats().records_read)} packets${rate}`;
    const room = Math.max(8, width - 1 - figures.length);
    const name = this.name.length > room ? "…" + this.name.slice(this.name.length - room + 1) : this.name;
    return (name + figures).slice(0, width - 1);
  }

  private draw(now: number): void {
    this.out.write(`\r\x1b[K${this.line(now, this.out.columns || 80)}`);
    this.drawn = true;
  }

  /** Erases the line (before results, warnings or a redraw are printed). */
  clear(): void {
    if (!this.drawn) return;
    this.out.write("\r\x1b[K");
    this.drawn = false;
  }
}

export interface LiveOptions {
  intervalMs: number;
  /** The current table, complete, ending with a newline. */
  render(): string;
  /** Tables are JSON arrays (one per line, nothing between them). */
  json: boolean;
  /** A heading line for the in-place display on a TTY (time, packets, ...). */
  heading?(): string;
  out?: Screen;
  progress?: Progress;
  /** Tables were printed before this view's (--each): separate the first one from them too. */
  continued?: boolean;
}

/**
 * Prints the current table every interval. On a TTY the previous drawing is erased first (cursor
 * up, clear to the end of the screen), so the table stays in place like top(1); elsewhere each tick
 * appends one complete table: blank-line separated, or one JSON array per line.
 */
export class LiveView {
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;
  private printed = 0;
  private readonly out: Screen;

  constructor(private readonly options: LiveOptions) {
    this.out = options.out ?? process.stdout;
    if (options.continued) this.printed = 1;
  }

  start(): void {
    this.timer = setInterval(() => this.draw(this.options.render(), false), this.options.intervalMs);
    // the input keeps the process alive, never the ticking
    this.timer.unref();
  }

  /** Something else was printed (a warning): the next drawing starts below it. */
  forget(): void {
    this.drawnLines = 0;
  }

  /** Stops ticking and prints the final table. */
  finish(text: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.draw(text, true);
  }

  private draw(table: string, final: boolean): void {
    const out = this.out;
    if (out.isTTY) {
      this.options.progress?.clear();
      let text = (this.options.heading ? this.options.heading() + "\n" : "") + table;
      if (!final && out.rows) {
        // never taller than the screen, or the cursor cannot get back to the top
        const lines = text.split("\n");
        if (lines.length > out.rows) text = lines.slice(0, out.rows - 1).join("\n") + "\n";
      }
      const erase = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F\x1b[J` : "";
      out.write(erase + text);
      this.drawnLines = text.split("\n").length - 1;
    } else {
      out.write((this.printed > 0 && !this.options.json ? "\n" : "") + table);
    }
    this.printed++;
  }
}

/** Is stdin live (a pipe, FIFO or socket), so that idle time must still expire connections? */
export function stdinIsLive(): boolean {
  try {
    const s = fstatSync(0);
    return s.isFIFO() || s.isSocket();
  } catch {
    return false;
  }
}

/**
 * On a live pipe, network time follows the wall clock while no packet arrives (as Zeek's does), so
 * connections of a quiet capture still time out and their ends are reported. `sawChunk()` after
 * every chunk; `onAdvance` after each advance (to write what it produced).
 */
export class WallClock {
  private lastWall = Date.now();
  private lastNetwork = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly engine: Engine, private readonly onAdvance: () => void, private readonly everyMs = 1000) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.lastNetwork === 0) return;
      this.engine.advanceTime(this.lastNetwork + (Date.now() - this.lastWall) * 1e6);
      this.onAdvance();
    }, this.everyMs);
    this.timer.unref();
  }

  sawChunk(): void {
    const t = this.engine.networkTime;
    if (t > 0) this.lastNetwork = t;
    this.lastWall = Date.now();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
