// The chunk size of the file and pipe readers, and their buffers: two take turns, so no garbage
// piles up between collections. A chunk's memory is read into again once the next chunk is asked
// for: a consumer that keeps a chunk across that copies it.

export const CHUNK = 1 << 20;

/** Returns the two CHUNK-byte buffers in turn, one per call. */
export function takingTurns(): () => Buffer {
  const turns = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let turn = 0;
  return () => turns[turn++ & 1];
}
