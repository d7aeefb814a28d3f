// The events as NDJSON lines (`zk-stream events`), written as bytes straight from the core's event
// records (EVENT_SIZE each, layout in assembly/events.ts) and, for connection_end, its conn record:
// the line JSON.stringify writes for decodeEvents' object, without the object (that and its
// serialization took most of the command's JavaScript time).
import { EVENT_SIZE } from "../wasm/core.js";
import { KIND_NAME, eventTs, protoName } from "../events.js";
import { EVENT_KIND } from "../engine.js";
import { analyzerName, analyzerTag } from "../analyzers.js";
import { uidFromSerial } from "../uid.js";
import { formatAddr } from "./addr.js";
import type { AsciiBytes } from "./bytes.js";
import { ConnRowWriter } from "./conn.js";

const CLOSE = "}\n";

export class EventLineWriter {
  private readonly connEnd = new ConnRowWriter("event");

  /**
   * The lines of a batch of events whose kind is in `mask`, appended to `out`. connection_end's
   * conn fields come from the record `takeRecord` gives (records and those events come in one
   * order); without one, the line has the tuple only, as decodeEvents' event then has.
   */
  lines(batch: Uint8Array, view: DataView, mask: number, out: AsciiBytes, takeRecord: () => Uint8Array | undefined): void {
    for (let off = 0; off + EVENT_SIZE <= batch.length; off += EVENT_SIZE) {
      const kind = batch[off];
      if ((mask & (1 << kind)) === 0) continue;
      const name = KIND_NAME[kind];
      if (name === undefined) continue;
      const family = batch[off + 1] === 6 ? 6 : 4;
      out.text(`{"event":"${name}","ts":`);
      out.text(String(eventTs(view, off + 8)));
      out.text(`,"uid":"`);
      out.text(uidFromSerial(view.getUint32(off + 16, true), view.getUint32(off + 20, true)));
      out.text(`","id.orig_h":"`);
      out.text(formatAddr(family, batch, off + 24));
      out.text(`","id.orig_p":`);
      out.uint(view.getUint16(off + 4, true));
      out.text(`,"id.resp_h":"`);
      out.text(formatAddr(family, batch, off + 40));
      out.text(`","id.resp_p":`);
      out.uint(view.getUint16(off + 6, true));
      out.text(`,"proto":"`);
      out.text(protoName(batch[off + 2]));
      out.text(`"`);
      if (kind === EVENT_KIND.analyzer_confirmation) {
        const id = view.getUint32(off + 56, true);
        out.text(`,"analyzer":"${analyzerName(id)}","tag":"${analyzerTag(id)}"`);
      }
      const rec = kind === EVENT_KIND.connection_end ? takeRecord() : undefined;
      // the record's fields close the line
      if (rec) this.connEnd.rows(rec, new DataView(rec.buffer, rec.byteOffset, rec.byteLength), out);
      else out.text(CLOSE);
    }
  }
}
