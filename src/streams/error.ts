// The Error a stream or helper raises for a capture it cannot read to the end.
import { errorMessage, type CaptureError } from "../errors.js";

/**
 * A capture that is unreadable (no valid header: exitCode 2) or damaged after a valid header
 * (exitCode 3). Everything decoded from the complete packets before `offset` has been delivered
 * before this error is.
 */
export class ZkError extends Error {
  /** "ZK_" and the core's error name in capitals: "ZK_RECORD_CUT", "ZK_UNKNOWN_MAGIC", ... */
  readonly code: string;
  /** Byte offset of the damage in the capture's own bytes. */
  readonly offset: number;
  /** Which layer refused: "capture header", "pcap record", "pcapng block", "gzip". */
  readonly layer: string;
  readonly reason: string;
  /** The CLI's exit code for it: 2 unreadable, 3 damaged. */
  readonly exitCode: number;
  /** The input's name in the message ("input" unless the caller named it). */
  readonly file: string;

  constructor(e: CaptureError, file: string) {
    super(errorMessage(file, e));
    this.name = "ZkError";
    this.code = `ZK_${e.name.toUpperCase()}`;
    this.offset = e.offset;
    this.layer = e.layer;
    this.reason = e.reason;
    this.exitCode = e.exitCode;
    this.file = file;
  }
}
