/**
 * A server-sent events parser (the WHATWG framing: `event:`, `data:`, `id:`, comments), fed
 * with text as it arrives. Pure: the stream client (stream.ts) reads the body with `fetch`,
 * which, unlike `EventSource`, sees error statuses and sends `Last-Event-ID` on every attempt.
 */

/** One event as the server framed it. */
export interface SseEvent {
  event: string;
  data: string;
  /** The `id:` line, when the event had one. */
  id?: string;
}

/** Splits text chunks into events; a chunk may end anywhere, even inside a line. */
export class SseParser {
  #buffer = "";
  #event = "";
  #data: string[] = [];
  #id: string | undefined;

  /** The events completed by `chunk`, in order. */
  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const end = this.#buffer.search(/\r\n|\r|\n/);
      if (end < 0) return out;
      const line = this.#buffer.slice(0, end);
      const breakLength = this.#buffer.startsWith("\r\n", end) ? 2 : 1;
      // A lone "\r" at the very end may be the first half of "\r\n": wait for more.
      if (this.#buffer[end] === "\r" && end + 1 === this.#buffer.length) return out;
      this.#buffer = this.#buffer.slice(end + breakLength);
      const event = this.#line(line);
      if (event) out.push(event);
    }
  }

  #line(line: string): SseEvent | null {
    if (line === "") {
      const done = this.#data.length
        ? { event: this.#event || "message", data: this.#data.join("\n"), id: this.#id }
        : null;
      this.#event = "";
      this.#data = [];
      this.#id = undefined;
      return done;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#event = value;
    else if (field === "data") this.#data.push(value);
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    return null;
  }
}
