import { describe, expect, it } from 'vitest';
import { readSse, SseParser, type SseEvent } from './sse';

function parseAll(chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  return [...chunks.flatMap((c) => parser.feed(c)), ...parser.end()];
}

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(typeof c === 'string' ? encoder.encode(c) : c);
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of readSse(stream)) out.push(e);
  return out;
}

describe('SseParser', () => {
  it('parses named events with JSON data', () => {
    const events = parseAll(['event: start\ndata: {"a":1}\n\nevent: delta\ndata: {"text":"hi"}\n\n']);
    expect(events).toEqual([
      { event: 'start', data: '{"a":1}' },
      { event: 'delta', data: '{"text":"hi"}' },
    ]);
  });

  it('joins an event split at every possible byte boundary', () => {
    const text = 'event: delta\r\ndata: {"text":"a b"}\r\n\r\nevent: done\ndata: {}\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      expect(parseAll([text.slice(0, cut), text.slice(cut)])).toEqual([
        { event: 'delta', data: '{"text":"a b"}' },
        { event: 'done', data: '{}' },
      ]);
    }
  });

  it('feeds one character at a time, with CR, LF and CRLF line ends', () => {
    const text = 'event: a\rdata: 1\r\rdata: 2\r\n\r\nevent: c\ndata: 3\n\n';
    expect(parseAll(text.split(''))).toEqual([
      { event: 'a', data: '1' },
      { event: 'message', data: '2' },
      { event: 'c', data: '3' },
    ]);
  });

  it('joins multi-line data, ignores comments, unknown fields and blocks without data', () => {
    const events = parseAll([': keep-alive\n\nretry: 100\nfoo: bar\n\nevent: x\ndata: line 1\ndata:line 2\ndata\nid: 7\n\nevent: nodata\n\n']);
    expect(events).toEqual([{ event: 'x', data: 'line 1\nline 2\n', id: '7' }]);
  });

  it('keeps only one leading space of a value and strips a BOM', () => {
    expect(parseAll(['\uFEFFdata:   spaced\n\n'])).toEqual([{ event: 'message', data: '  spaced' }]);
  });

  it('drops an unterminated final block (the stream was cut off)', () => {
    expect(parseAll(['event: done\ndata: {"answer":"x"}\n'])).toEqual([]);
    expect(parseAll(['data: a\n\ndata: b'])).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('forgets the event name after each event', () => {
    expect(parseAll(['event: one\ndata: 1\n\ndata: 2\n\n'])).toEqual([
      { event: 'one', data: '1' },
      { event: 'message', data: '2' },
    ]);
  });
});

describe('readSse', () => {
  it('decodes UTF-8 split across chunks and yields events as they complete', async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"text":"café ☕"}\n\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte ☕
    const events = await collect(streamOf([bytes.slice(0, cut), bytes.slice(cut)]));
    expect(events).toEqual([{ event: 'delta', data: '{"text":"café ☕"}' }]);
  });

  it('yields the first event before the stream has finished', async () => {
    let push: (s: string) => void = () => undefined;
    let close: () => void = () => undefined;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const encoder = new TextEncoder();
        push = (s) => controller.enqueue(encoder.encode(s));
        close = () => controller.close();
      },
    });
    const it = readSse(stream);
    push('event: start\ndata: {}\n\n');
    expect((await it.next()).value).toEqual({ event: 'start', data: '{}' });
    push('event: done\ndata: {}\n\n');
    close();
    expect((await it.next()).value).toEqual({ event: 'done', data: '{}' });
    expect((await it.next()).done).toBe(true);
  });

  it('stops reading when the signal aborts', async () => {
    const controller = new AbortController();
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('data: 1\n\n'));
      },
    });
    const seen: SseEvent[] = [];
    for await (const e of readSse(stream, controller.signal)) {
      seen.push(e);
      controller.abort();
    }
    expect(seen).toEqual([{ event: 'message', data: '1' }]);
  });
});
