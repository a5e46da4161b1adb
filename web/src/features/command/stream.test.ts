import { describe, expect, it } from 'vitest';
import { http, HttpResponse } from 'msw';
import { session } from '../../api/auth';
import { ApiError } from '../../api/problem';
import { problem, server, tokens } from '../../test/server';
import { conversationReducer, decisionFor, emptyConversation, turnsFromDetail } from './conversation';
import { streamQuery } from './stream';
import type { StreamEvent } from './types';

function sse(text: string): HttpResponse<string> {
  return new HttpResponse(text, { headers: { 'Content-Type': 'text/event-stream' } });
}

const done = {
  answer: 'Hi',
  conversation_id: 'c1',
  tool_calls: [],
  sources: [],
  suggested_actions: [],
  provider: 'local',
  model: 'binelek-local',
  usage: { prompt_tokens: 1, completion_tokens: 1 },
  fallback_from: null,
};

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('streamQuery', () => {
  it('reports events in order and resolves with the done answer; unknown events are skipped', async () => {
    session.setTokens(tokens('access-1'));
    server.use(
      http.post('*/api/query/stream', () =>
        sse(
          'event: start\ndata: {"conversation_id":"c1","provider":"openai","model":"gpt-4.1-mini"}\n\n' +
            ': ping\n\nevent: fallback\ndata: {"from":"openai","to":"local","cause":"timeout"}\n\n' +
            'event: future\ndata: {"x":1}\n\nevent: delta\ndata: {"text":"H"}\n\nevent: delta\ndata: {"text":"i"}\n\n' +
            `event: done\ndata: ${JSON.stringify(done)}\n\n`,
        ),
      ),
    );
    const events: StreamEvent[] = [];
    const result = await streamQuery({ query: 'hello' }, (e) => events.push(e));
    expect(result.answer).toBe('Hi');
    expect(events.map((e) => e.type)).toEqual(['start', 'fallback', 'delta', 'delta']);
    expect(events[1]).toEqual({ type: 'fallback', from: 'openai', to: 'local', cause: 'timeout' });
  });

  it('refreshes an expired token once and retries', async () => {
    session.setTokens(tokens('stale'));
    const seen: string[] = [];
    server.use(
      http.post('*/api/auth/refresh', () => HttpResponse.json(tokens('fresh'))),
      http.post('*/api/query/stream', ({ request }) => {
        const auth = request.headers.get('Authorization') ?? '';
        seen.push(auth);
        if (auth !== 'Bearer fresh') return problem(401, 'AUTH_TOKEN_EXPIRED', 'Token expired', 'The access token has expired.');
        return sse(`event: done\ndata: ${JSON.stringify(done)}\n\n`);
      }),
    );
    expect((await streamQuery({ query: 'hello' }, () => undefined)).answer).toBe('Hi');
    expect(seen).toEqual(['Bearer stale', 'Bearer fresh']);
  });

  it('turns a 422 problem, a stream cut short and a non-JSON 502 into ApiErrors', async () => {
    session.setTokens(tokens('access-1'));
    server.use(
      http.post('*/api/query/stream', () =>
        problem(422, 'VALIDATION_ERROR', 'Validation error', 'send exactly one of query, confirm or cancel'),
      ),
    );
    const invalid = await failure(streamQuery({ query: 'x' }, () => undefined));
    expect(invalid.status).toBe(422);
    expect(invalid.problem.detail).toBe('send exactly one of query, confirm or cancel');

    server.use(http.post('*/api/query/stream', () => sse('event: delta\ndata: {"text":"half"}\n\n')));
    const cut = await failure(streamQuery({ query: 'x' }, () => undefined));
    expect(cut.code).toBe('AI_STREAM_INTERRUPTED');

    server.use(http.post('*/api/query/stream', () => new HttpResponse('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })));
    const gateway = await failure(streamQuery({ query: 'x' }, () => undefined));
    expect(gateway.status).toBe(502);
    expect(gateway.problem.title).toBe('Bad Gateway');
  });
});

describe('conversation reducer', () => {
  it('drops events for a turn abandoned by "New conversation"', () => {
    let state = conversationReducer(emptyConversation, { type: 'begin', key: 't1', question: 'q', decision: null });
    state = conversationReducer(state, { type: 'reset' });
    const after = conversationReducer(state, { type: 'event', key: 't1', event: { type: 'delta', text: 'late' } });
    expect(after).toBe(state);
    expect(after.conversationId).toBeNull();
  });

  it('a fallback discards what the failed model streamed', () => {
    let state = conversationReducer(emptyConversation, { type: 'begin', key: 't1', question: 'q', decision: null });
    state = conversationReducer(state, { type: 'event', key: 't1', event: { type: 'delta', text: 'partial' } });
    state = conversationReducer(state, { type: 'event', key: 't1', event: { type: 'fallback', from: 'openai', to: 'local', cause: 'timeout' } });
    expect(state.turns[0]).toMatchObject({ text: '', provider: 'local', fallbackFrom: 'openai' });
  });

  it('reads a stored conversation, pairing messages and recognising a settled proposal', () => {
    const proposal = { id: 'call-1', tool: 'invite_member', args: {}, status: 'needs_confirmation' as const };
    const turns = turnsFromDetail({
      id: 'c1',
      title: 't',
      module: null,
      created_at: '',
      updated_at: '',
      messages: [
        { id: 'm1', role: 'user', content: 'invite sam', tool_calls: [], sources: [], provider: null, model: null, created_at: '' },
        { id: 'm2', role: 'assistant', content: 'Confirm?', tool_calls: [proposal], sources: [], provider: 'local', model: 'binelek-local', created_at: '' },
        { id: 'm3', role: 'user', content: 'Confirm: invite member', tool_calls: [], sources: [], provider: null, model: null, created_at: '' },
        { id: 'm4', role: 'assistant', content: 'Invited.', tool_calls: [{ ...proposal, status: 'done' }], sources: [], provider: 'local', model: 'binelek-local', created_at: '' },
      ],
    });
    expect(turns).toHaveLength(2);
    expect(turns[0]).toMatchObject({ question: 'invite sam', text: 'Confirm?', decision: null });
    expect(turns[1]).toMatchObject({ question: 'Confirm: invite member', text: 'Invited.', decision: { kind: 'confirm', callId: 'call-1' } });
    expect(decisionFor(turns, 'call-1')?.key).toBe('m3');
  });
});
