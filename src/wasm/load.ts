// Compiles the wasm core once per process; every engine instantiates the cached module.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// ZK_WASM names another build of the core: the tests run the debug build (build/zk.debug.wasm),
// whose assertions check what the release build takes on trust
const WASM_PATH = process.env.ZK_WASM || fileURLToPath(new URL("../../build/zk.wasm", import.meta.url));

let compiled: WebAssembly.Module | undefined;

/** A module compiled by another thread (a worker of cli/threads.ts): no second compilation. */
export function useCoreModule(module: WebAssembly.Module): void {
  compiled = module;
}

export function coreModule(): WebAssembly.Module {
  if (!compiled) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(WASM_PATH);
    } catch {
      throw new Error(`wasm core not built: ${WASM_PATH} is missing (run: npm run build)`);
    }
    compiled = new WebAssembly.Module(new Uint8Array(bytes));
  }
  return compiled;
}
