// The events as NDJSON lines (`zk-stream events`), written as bytes straight from the core's event
// records (EVENT_SIZE each, layout in assembly/events.ts) and, for connection_end, its conn record:
// the line JSON.stringify writes for decodeEvents' object, without the object (that and its
// serialization took most of the command's JavaScript time).
import { EV, eventTs, eventUid, forEachEvent } from "../events.js";
import { transportName } from "../conn.js";
import { analyzerName, analyzerTag } from "../analyzers.js";
import type { AsciiBytes } from "./bytes.js";
import type { EndRecord } from "../engine.js";
import { ConnRowWriter, addrInto } from "./conn.js";

const CLOSE = "}\n";

export class EventLineWriter {
  private readonly connEnd = new ConnRowWriter("event");

  /**
   * The lines of a batch of events whose kind is in `mask`, appended to `out`. connection_end's
   * conn fields come from the record `takeRecord` gives (records and those events come in one
   * order); without one, the line has the tuple only, as decodeEvents' event then has.
   */
  lines(batch: Uint8Array, view: DataView, mask: number, out: AsciiBytes, takeRecord: () => EndRecord | undefined): void {
    forEachEvent(batch, mask, (off, name, family) => {
      out.text(`{"event":"${name}","ts":`);
      out.text(String(eventTs(view, off)));
      out.text(`,"uid":"`);
      out.text(eventUid(view, off));
      out.text(`","id.orig_h":"`);
      addrInto(out, family, batch, off + EV.ORIG_ADDR);
      out.text(`","id.orig_p":`);
      out.uint(view.getUint16(off + EV.ORIG_PORT, true));
      out.text(`,"id.resp_h":"`);
      addrInto(out, family, batch, off + EV.RESP_ADDR);
      out.text(`","id.resp_p":`);
      out.uint(view.getUint16(off + EV.RESP_PORT, true));
      out.text(`,"proto":"`);
      out.text(transportName(batch[off + EV.IP_PROTO]));
      out.text(`"`);
      if (name === "analyzer_confirmation") {
        const id = view.getUint32(off + EV.ANALYZER, true);
        out.text(`,"analyzer":"${analyzerName(id)}","tag":"${analyzerTag(id)}"`);
      }
      const rec = name === "connection_end" ? takeRecord() : undefined;
      // the record's fields close the line
      if (rec) this.connEnd.rowAt(rec.bytes, rec.view, rec.off, out);
      else out.text(CLOSE);
    });
  }
}
