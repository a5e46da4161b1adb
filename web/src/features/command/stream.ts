/**
 * POST /api/query/stream: sends a question (or a decision on a proposed action) and reports the
 * Server-Sent Events as they arrive. Goes through `authFetch`, so the bearer token, the tenant
 * header and the one-time refresh on a 401 work as for every other call.
 */
import { apiUrl, authFetch } from '../../api/client';
import { ApiError, networkError, problemFromResponse } from '../../api/problem';
import { readSse } from './sse';
import type { QueryAnswer, QueryIn, StreamEvent, ToolCallOut } from './types';

export const STREAM_PATH = '/api/query/stream';

function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function interrupted(detail: string): ApiError {
  return new ApiError({ title: 'The answer was cut off', status: 502, detail, code: 'AI_STREAM_INTERRUPTED' });
}

async function problemOf(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON: problemFromResponse falls back to the status line */
  }
  return problemFromResponse(response, body);
}

/** The problem in an `error` event (an RFC 9457 body); a malformed one still reads as a failed answer. */
function streamProblem(data: unknown): ApiError {
  if (isRecord(data) && typeof data.title === 'string') {
    return problemFromResponse(new Response(null, { status: 502 }), { status: 502, ...data });
  }
  return new ApiError({ title: 'The answer failed', status: 502, detail: 'The assistant stopped with an error. Please try again.', code: 'AI_QUERY_FAILED' });
}

/** The stream event for one SSE block, or null for events this client does not know. */
function toStreamEvent(name: string, data: unknown): StreamEvent | null {
  if (!isRecord(data)) return null;
  switch (name) {
    case 'start':
      return { type: 'start', ...(data as Omit<Extract<StreamEvent, { type: 'start' }>, 'type'>) };
    case 'delta':
      return typeof data.text === 'string' ? { type: 'delta', text: data.text } : null;
    case 'tool_call':
      return { type: 'tool_call', call: data as unknown as ToolCallOut };
    case 'fallback':
      return { type: 'fallback', ...(data as Omit<Extract<StreamEvent, { type: 'fallback' }>, 'type'>) };
    default:
      return null;
  }
}

/**
 * Stream one request. `onEvent` gets `start`, `delta`, `tool_call` and `fallback` events in order;
 * the promise resolves with the final `done` answer, or rejects with an `ApiError` (a problem sent
 * before or during the stream, a network failure, or a stream that ended without an answer) or the
 * abort error when `signal` fires.
 */
export async function streamQuery(body: QueryIn, onEvent: (event: StreamEvent) => void, signal?: AbortSignal): Promise<QueryAnswer> {
  let response: Response;
  try {
    response = await authFetch(
      new Request(apiUrl(STREAM_PATH), {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream, application/problem+json' },
        signal,
      }),
    );
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw networkError(cause);
  }
  if (!response.ok) throw await problemOf(response);
  if (!response.body) throw interrupted('The server sent no answer.');

  try {
    for await (const sse of readSse(response.body, signal)) {
      const data = parseData(sse.data);
      if (sse.event === 'done' && isRecord(data)) return data as unknown as QueryAnswer;
      if (sse.event === 'error') throw streamProblem(data);
      const event = toStreamEvent(sse.event, data);
      if (event) onEvent(event);
    }
  } catch (error) {
    if (error instanceof ApiError || signal?.aborted) throw error;
    throw interrupted('The connection dropped before the answer finished. Please ask again.');
  }
  if (signal?.aborted) throw new DOMException('The request was aborted.', 'AbortError');
  throw interrupted('The answer ended early. Please ask again.');
}
