/**
 * Server-Sent Events parsing for streams read with `fetch` (the query stream is a POST, which
 * `EventSource` cannot send). Follows the WHATWG event-stream rules that matter here: `\n`, `\r\n`
 * or `\r` line ends, `:` comments, multi-line `data:`, one optional space after the colon, an event
 * dispatched at a blank line, and no event for a block without data.
 */

export interface SseEvent {
  /** The `event:` field; "message" when the block has none. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The `id:` field, when given. */
  id?: string;
}

/** Incremental parser: feed it text as it arrives, it returns the events completed so far. */
export class SseParser {
  private buffer = '';
  private eventName = '';
  private dataLines: string[] = [];
  private lastId: string | undefined;
  private sawData = false;
  private started = false;

  /** Parse `chunk` (any split, even mid-line or between "\r" and "\n"); returns the completed events. */
  feed(chunk: string): SseEvent[] {
    let text = this.buffer + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\n' && ch !== '\r') continue;
      // A "\r" at the very end may be the first half of "\r\n": wait for the next chunk.
      if (ch === '\r' && i === text.length - 1) break;
      this.line(text.slice(start, i), events);
      if (ch === '\r' && text[i + 1] === '\n') i++;
      start = i + 1;
    }
    this.buffer = text.slice(start);
    return events;
  }

  /** The stream ended: a final block without its blank line is discarded, as the spec says. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.buffer.endsWith('\r')) {
      this.line(this.buffer.slice(0, -1), events);
    }
    this.buffer = '';
    this.reset();
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      this.dispatch(events);
      return;
    }
    if (line.startsWith(':')) return; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventName = value;
        break;
      case 'data':
        this.dataLines.push(value);
        this.sawData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
        break; // `retry` and unknown fields mean nothing to a fetch reader
    }
  }

  private dispatch(events: SseEvent[]): void {
    if (this.sawData) {
      const event: SseEvent = { event: this.eventName || 'message', data: this.dataLines.join('\n') };
      if (this.lastId !== undefined) event.id = this.lastId;
      events.push(event);
    }
    this.reset();
  }

  private reset(): void {
    this.eventName = '';
    this.dataLines = [];
    this.sawData = false;
  }
}

/** Read a response body as Server-Sent Events, yielding each as it completes. */
export async function* readSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.feed(decoder.decode(value, { stream: true }));
    }
    yield* parser.feed(decoder.decode());
    yield* parser.end();
  } finally {
    signal?.removeEventListener('abort', cancel);
    reader.releaseLock();
  }
}
