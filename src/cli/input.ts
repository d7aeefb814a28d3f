// Feeds capture files or stdin into an engine, a chunk at a time, and reports each file's outcome.
import { open } from "node:fs/promises";
import type { Engine, FileResult } from "../engine.js";
import { EXIT_UNREADABLE } from "../errors.js";

const CHUNK = 1 << 20;

export interface InputOutcome extends FileResult {
  /** Set when the file could not be opened or read at all. */
  openError?: string;
}

/** Reads one named file ("-" is stdin) into the engine. */
export async function feedSource(engine: Engine, name: string, shouldStop: () => boolean): Promise<InputOutcome> {
  engine.beginFile();
  if (name === "-") {
    for await (const chunk of process.stdin) {
      if (!engine.write(chunk as Buffer) || shouldStop()) break;
    }
    return engine.endFile("stdin");
  }
  let handle;
  try {
    handle = await open(name, "r");
  } catch (e) {
    engine.endFile(name);
    return { name, bytes: 0, openError: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0 || !engine.write(buf.subarray(0, bytesRead)) || shouldStop()) break;
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    engine.endFile(name);
    return { name, bytes: 0, openError: code === "EISDIR" ? "is a directory" : code ?? String(e) };
  } finally {
    await handle.close();
  }
  return engine.endFile(name);
}

export function openErrorExit(): number {
  return EXIT_UNREADABLE;
}
