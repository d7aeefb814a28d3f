// Cache-line alignment of heap blocks: the heap aligns to 16 bytes, and a 64-byte record (or a
// record's first line) is one cache line only if it starts on one. Allocate 64 bytes more than the
// records need and start them at lineStart(block).

export const LINE: usize = 64;

/** The first cache-line boundary at or after p. */
// @ts-ignore: decorator
@inline export function lineStart(p: usize): usize { return (p + LINE - 1) & ~(LINE - 1); }
