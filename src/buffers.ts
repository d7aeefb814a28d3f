// The chunk size of the file and pipe readers, and where their buffers come from.
//
// The command line copies each chunk into the core before it asks for the next, so two buffers
// take turns there and no garbage piles up between collections: a chunk's memory is read into
// again once the next chunk is asked for, and a consumer that keeps a chunk across that copies it.
// The API hands chunks to streams that may hold them (backpressure), so it reads each into a
// buffer of its own.

export const CHUNK = 1 << 20;

/** Returns the two CHUNK-byte buffers in turn, one per call. */
export function takingTurns(): () => Buffer {
  const turns = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let turn = 0;
  return () => turns[turn++ & 1];
}

/** A new CHUNK-byte buffer per call. */
export function freshBuffers(): () => Buffer {
  return () => Buffer.allocUnsafeSlow(CHUNK);
}
