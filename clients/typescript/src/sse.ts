/**
 * A push parser for the `text/event-stream` format (Server-Sent Events), written to the
 * WHATWG HTML "server-sent events" parsing rules. Feed it decoded text in chunks of any
 * size: lines may be split anywhere, including between the CR and LF of a CRLF.
 */

/** One dispatched event. */
export interface SseMessage {
  /** The `event:` field; `"message"` when the event named none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /**
   * The last event id seen on the stream so far (the `id:` of this event or of an
   * earlier one), or `""` when none was ever given.
   */
  id: string;
}

export interface SseHandlers {
  /** Called for each complete event that carried data. */
  onMessage?: (message: SseMessage) => void;
  /** Called for a valid `retry:` field (milliseconds). */
  onRetry?: (milliseconds: number) => void;
  /** Called for a comment line (the text after the colon, one leading space removed). */
  onComment?: (text: string) => void;
}

export class SseParser {
  /** The last event id buffer: survives across events, as the standard says. */
  lastEventId = "";

  private readonly handlers: SseHandlers;
  private pending = "";
  private sawCr = false;
  private atStart = true;
  private data: string[] = [];
  private hasData = false;
  private eventType = "";

  constructor(handlers: SseHandlers = {}) {
    this.handlers = handlers;
  }

  /** Parses a chunk of decoded text; complete lines are handled at once. */
  feed(chunk: string): void {
    if (chunk.length === 0) return;
    let text = chunk;
    if (this.atStart) {
      // A UTF-8 byte order mark at the very start of the stream is ignored.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) return;
      this.atStart = false;
    }
    let start = 0;
    // A CR ended the previous chunk: an LF starting this one belongs to that line break.
    if (this.sawCr) {
      this.sawCr = false;
      if (text.charCodeAt(0) === 0x0a) start = 1;
    }
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      const line = this.pending + text.slice(start, i);
      this.pending = "";
      if (c === 0x0d) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 0x0a) i++;
        } else {
          this.sawCr = true;
        }
      }
      start = i + 1;
      this.line(line);
    }
    if (start < text.length) this.pending += text.slice(start);
  }

  /**
   * Ends the stream. An event that was not terminated by a blank line is discarded, as
   * the standard requires; the parser is ready for a new stream afterwards.
   */
  end(): void {
    this.pending = "";
    this.sawCr = false;
    this.atStart = true;
    this.data = [];
    this.hasData = false;
    this.eventType = "";
  }

  private line(line: string): void {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 0x3a /* : */) {
      this.handlers.onComment?.(line.startsWith(": ") ? line.slice(2) : line.slice(1));
      return;
    }
    const colon = line.indexOf(":");
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = "";
    } else {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
    }
    switch (field) {
      case "event":
        this.eventType = value;
        break;
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "id":
        // An id containing NUL is ignored.
        if (!value.includes("\u0000")) this.lastEventId = value;
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) this.handlers.onRetry?.(Number.parseInt(value, 10));
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
  }

  private dispatch(): void {
    if (!this.hasData) {
      this.eventType = "";
      return;
    }
    const message: SseMessage = {
      event: this.eventType === "" ? "message" : this.eventType,
      data: this.data.join("\n"),
      id: this.lastEventId,
    };
    this.data = [];
    this.hasData = false;
    this.eventType = "";
    this.handlers.onMessage?.(message);
  }
}
