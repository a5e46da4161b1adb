import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { me, organization } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { problem, server, tokens } from '../../test/server';
import type { ConversationDetail, QueryAnswer, ToolCallOut } from './types';

const CONVERSATION = '0b7c6a52-6f1e-4a8e-9d1e-2f6f4f0c0a01';

/** A text/event-stream body the test writes to while the component reads it. */
function liveStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    response: () => new HttpResponse(body, { headers: { 'Content-Type': 'text/event-stream' } }),
    send: (event: string, data: unknown) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)),
    close: () => controller.close(),
  };
}

function sseBody(events: [string, unknown][]): HttpResponse<string> {
  const text = events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join('');
  return new HttpResponse(text, { headers: { 'Content-Type': 'text/event-stream' } });
}

function answer(partial: Partial<QueryAnswer>): QueryAnswer {
  return {
    answer: '',
    conversation_id: CONVERSATION,
    tool_calls: [],
    sources: [],
    suggested_actions: [],
    provider: 'local',
    model: 'binelek-local',
    usage: { prompt_tokens: 10, completion_tokens: 5 },
    fallback_from: null,
    ...partial,
  };
}

const teamCall: ToolCallOut = {
  id: 'call-team-1',
  tool: 'team_members',
  args: { mfa_enabled: false },
  status: 'done',
  result: {
    summary: '1 team member without MFA: Ada Lovelace.',
    data: [{ email: 'ada@example.com', full_name: 'Ada Lovelace', mfa_enabled: false }],
  },
  error: null,
};

const inviteProposal: ToolCallOut = {
  id: 'call-invite-1',
  tool: 'invite_member',
  args: { email: 'sam@example.com', role: 'viewer' },
  status: 'needs_confirmation',
  result: null,
  error: null,
};

function signedIn(conversations: { id: string; title: string }[] = []) {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json(me)),
    http.get('*/api/organization', () => HttpResponse.json(organization)),
    http.get('*/api/conversations', () =>
      HttpResponse.json({
        items: conversations.map((c) => ({ ...c, module: null, created_at: '2025-01-10T09:00:00Z', updated_at: '2025-01-10T09:05:00Z' })),
        total: conversations.length,
        limit: 5,
        offset: 0,
      }),
    ),
  );
}

async function openBox(user: ReturnType<typeof userEvent.setup>) {
  await screen.findByRole('button', { name: 'Ask Binelek' });
  await user.keyboard('{Control>}k{/Control}');
  const dialog = await screen.findByRole('dialog', { name: 'Ask Binelek' });
  const input = within(dialog).getByLabelText('Ask or tell Binelek');
  await waitFor(() => expect(document.activeElement).toBe(input));
  return { dialog, input };
}

describe('Command box', () => {
  it('streams the answer, shows the tool card, sources and model, and continues the conversation', async () => {
    signedIn();
    const bodies: Record<string, unknown>[] = [];
    const headers: (string | null)[] = [];
    let live = liveStream();
    server.use(
      http.post('*/api/query/stream', async ({ request }) => {
        bodies.push((await request.json()) as Record<string, unknown>);
        headers.push(request.headers.get('Authorization'));
        return live.response();
      }),
    );
    const user = userEvent.setup();
    renderApp('/');
    const { dialog, input } = await openBox(user);

    await user.type(input, "which team members don't have MFA?{Enter}");
    expect(await within(dialog).findByText('Thinking…')).toBeTruthy();
    live.send('start', { conversation_id: CONVERSATION, provider: 'local', model: 'binelek-local' });
    live.send('delta', { text: 'Ada Lovelace ' });
    expect(await within(dialog).findByText('Ada Lovelace')).toBeTruthy();
    live.send('delta', { text: "doesn't have MFA yet." });
    expect(await within(dialog).findByText("Ada Lovelace doesn't have MFA yet.")).toBeTruthy();
    expect(within(dialog).getByRole('button', { name: 'Ask' }).hasAttribute('disabled')).toBe(true);

    live.send('tool_call', teamCall);
    const card = await within(dialog).findByRole('article', { name: /Team members/ });
    expect(within(card).getByText('Done')).toBeTruthy();
    expect(within(card).getByText('1 team member without MFA: Ada Lovelace.')).toBeTruthy();

    live.send(
      'done',
      answer({
        answer: 'One person has no MFA: Ada Lovelace.',
        tool_calls: [teamCall],
        sources: [{ kind: 'member', id: 'u1', title: 'Ada Lovelace', url: '/settings/team' }],
        suggested_actions: [{ label: 'Open team settings', path: '/settings/team' }],
      }),
    );
    live.close();
    expect(await within(dialog).findByText('One person has no MFA: Ada Lovelace.')).toBeTruthy();
    expect(within(dialog).queryByText("Ada Lovelace doesn't have MFA yet.")).toBeNull();
    expect(within(dialog).getByRole('link', { name: 'Ada Lovelace' }).getAttribute('href')).toBe('/settings/team');
    expect(within(dialog).getByText('Answered by the built-in offline engine')).toBeTruthy();
    // The data behind the card is one click away.
    expect(within(card).getByText('Data')).toBeTruthy();

    expect(headers[0]).toBe('Bearer access-1');
    expect(bodies[0]).toEqual({ query: "which team members don't have MFA?", timezone: Intl.DateTimeFormat().resolvedOptions().timeZone });

    live = liveStream();
    await user.type(input, 'and admins?{Enter}');
    live.send('done', answer({ answer: 'Ada Lovelace is the only admin.', fallback_from: 'openai' }));
    live.close();
    expect(await within(dialog).findByText('Ada Lovelace is the only admin.')).toBeTruthy();
    expect(bodies[1]).toMatchObject({ query: 'and admins?', conversation_id: CONVERSATION });
    expect(within(dialog).getByText('(fell back from OpenAI)')).toBeTruthy();

    // "New conversation" forgets the conversation id.
    await user.click(within(dialog).getByRole('button', { name: 'New conversation' }));
    expect(within(dialog).queryByText('Ada Lovelace is the only admin.')).toBeNull();
    server.use(http.post('*/api/query/stream', async ({ request }) => {
      bodies.push((await request.json()) as Record<string, unknown>);
      return sseBody([['done', answer({ answer: 'Fresh start.' })]]);
    }));
    await user.type(input, 'hello{Enter}');
    expect(await within(dialog).findByText('Fresh start.')).toBeTruthy();
    expect(bodies[2]).not.toHaveProperty('conversation_id');
  });

  it('holds a write action for confirmation and sends the decision', async () => {
    signedIn();
    const bodies: Record<string, unknown>[] = [];
    server.use(
      http.post('*/api/query/stream', async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        bodies.push(body);
        if (body.confirm) {
          const done: ToolCallOut = {
            ...inviteProposal,
            status: 'done',
            result: { summary: 'Invited sam@example.com as viewer; the link expires 17 Jan 2025.', data: { email: 'sam@example.com', role: 'viewer' } },
          };
          return sseBody([
            ['start', { conversation_id: CONVERSATION, provider: 'local', model: 'binelek-local' }],
            ['done', answer({ answer: done.result!.summary, tool_calls: [done] })],
          ]);
        }
        return sseBody([
          ['start', { conversation_id: CONVERSATION, provider: 'local', model: 'binelek-local' }],
          ['tool_call', inviteProposal],
          ['done', answer({ answer: 'I can invite sam@example.com as a viewer. Confirm?', tool_calls: [inviteProposal] })],
        ]);
      }),
    );
    const user = userEvent.setup();
    renderApp('/');
    const { dialog, input } = await openBox(user);
    await user.type(input, 'invite sam@example.com as a viewer{Enter}');

    const card = await within(dialog).findByRole('article', { name: /Invite member/ });
    expect(within(card).getByText('Needs confirmation')).toBeTruthy();
    expect(within(card).getByText('Nothing happens until you confirm.')).toBeTruthy();
    expect(within(card).getByText('sam@example.com')).toBeTruthy();
    expect(within(card).getByText('viewer')).toBeTruthy();
    expect(bodies).toHaveLength(1);

    await user.click(within(card).getByRole('button', { name: 'Confirm invite member' }));
    expect(await within(dialog).findByText('Invited sam@example.com as viewer; the link expires 17 Jan 2025.', { selector: 'p.whitespace-pre-wrap' })).toBeTruthy();
    expect(bodies[1]).toEqual({ confirm: 'call-invite-1', conversation_id: CONVERSATION, timezone: expect.any(String) });
    expect(within(dialog).getByText('Confirm: invite member')).toBeTruthy();
    // The proposal is settled: its buttons are gone.
    expect(within(card).getByText('You confirmed this.')).toBeTruthy();
    expect(within(card).getByText('Confirmed')).toBeTruthy();
    expect(within(card).queryByText('Nothing happens until you confirm.')).toBeNull();
    expect(within(card).queryByRole('button', { name: 'Confirm invite member' })).toBeNull();
    const results = within(dialog).getAllByRole('article', { name: /Invite member/ });
    expect(within(results[1]!).getByText('Done')).toBeTruthy();
  });

  it('sends Cancel as {conversation_id, cancel}', async () => {
    signedIn();
    const bodies: Record<string, unknown>[] = [];
    server.use(
      http.post('*/api/query/stream', async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        bodies.push(body);
        const call = body.cancel ? { ...inviteProposal, status: 'cancelled' as const } : inviteProposal;
        const text = body.cancel ? "Cancelled: I won't invite member." : 'Confirm?';
        return sseBody([['done', answer({ answer: text, tool_calls: [call] })]]);
      }),
    );
    const user = userEvent.setup();
    renderApp('/');
    const { dialog, input } = await openBox(user);
    await user.type(input, 'invite sam@example.com{Enter}');
    await user.click(await within(dialog).findByRole('button', { name: 'Cancel invite member' }));
    expect(await within(dialog).findByText("Cancelled: I won't invite member.")).toBeTruthy();
    expect(bodies[1]).toMatchObject({ cancel: 'call-invite-1', conversation_id: CONVERSATION });
    expect(within(dialog).getByText('You cancelled this.')).toBeTruthy();
  });

  it('shows a problem sent before the stream and one sent during it', async () => {
    signedIn();
    let calls = 0;
    server.use(
      http.post('*/api/query/stream', () => {
        calls += 1;
        if (calls === 1) {
          return problem(429, 'AI_BUDGET_EXCEEDED', 'AI budget exceeded', 'This organization has used 500,000 of its 500,000 AI tokens this month.');
        }
        return sseBody([
          ['start', { conversation_id: CONVERSATION, provider: 'openai', model: 'gpt-4.1-mini' }],
          ['delta', { text: 'Partial' }],
          ['error', { type: 'https://binelek.dev/problems/ai_query_failed', title: 'AI query failed', status: 502, detail: 'OpenAI did not answer in time; no answer was produced.', code: 'AI_QUERY_FAILED', cause: 'timeout' }],
        ]);
      }),
    );
    const user = userEvent.setup();
    renderApp('/');
    const { dialog, input } = await openBox(user);

    await user.type(input, 'summarize last month{Enter}');
    const first = await within(dialog).findByRole('alert');
    expect(first.textContent).toContain('AI budget exceeded');
    expect(first.textContent).toContain('used 500,000 of its 500,000 AI tokens');

    await user.type(input, 'try again{Enter}');
    await waitFor(() => expect(within(dialog).getAllByRole('alert')).toHaveLength(2));
    expect(within(dialog).getAllByRole('alert')[1]!.textContent).toContain('OpenAI did not answer in time');
    // The box is usable again.
    expect(within(dialog).getByRole('button', { name: 'Ask' }).hasAttribute('aria-busy')).toBe(false);
  });

  it('recalls the last question with ↑, closes with Esc and keeps the conversation', async () => {
    signedIn();
    const empty = { items: [], total: 0, limit: 20, offset: 0 };
    server.use(
      http.post('*/api/query/stream', () => sseBody([['done', answer({ answer: 'Here you go.', suggested_actions: [{ label: 'Open team settings', path: '/settings/team' }] })]])),
      http.get('*/api/team/members', () => HttpResponse.json(empty)),
      http.get('*/api/team/invitations', () => HttpResponse.json(empty)),
    );
    const user = userEvent.setup();
    renderApp('/');
    let { dialog, input } = await openBox(user);
    await user.type(input, 'first question{Enter}');
    await within(dialog).findAllByText('Here you go.');
    await user.type(input, 'second question{Enter}');
    await waitFor(() => expect(within(dialog).getAllByText('Here you go.')).toHaveLength(2));

    await user.keyboard('{ArrowUp}');
    expect((input as HTMLInputElement).value).toBe('second question');
    await user.keyboard('{ArrowUp}');
    expect((input as HTMLInputElement).value).toBe('first question');
    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect((input as HTMLInputElement).value).toBe('');

    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    ({ dialog, input } = await openBox(user));
    expect(within(dialog).getByText('first question')).toBeTruthy();

    // A suggested action is a link that closes the box.
    await user.click(within(dialog).getAllByRole('link', { name: 'Open team settings' })[0]!);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await screen.findByRole('navigation', { name: 'Settings' })).toBeTruthy();
  });

  it('opens from the top-bar button and reopens a recent conversation', async () => {
    signedIn([{ id: CONVERSATION, title: 'invite sam@example.com as a viewer' }]);
    const detail: ConversationDetail = {
      id: CONVERSATION,
      title: 'invite sam@example.com as a viewer',
      module: null,
      created_at: '2025-01-10T09:00:00Z',
      updated_at: '2025-01-10T09:05:00Z',
      messages: [
        { id: 'm1', role: 'user', content: 'invite sam@example.com as a viewer', tool_calls: [], sources: [], provider: null, model: null, created_at: '2025-01-10T09:00:00Z' },
        { id: 'm2', role: 'assistant', content: 'Confirm?', tool_calls: [inviteProposal], sources: [], provider: 'local', model: 'binelek-local', created_at: '2025-01-10T09:00:01Z' },
      ],
    };
    const bodies: Record<string, unknown>[] = [];
    server.use(
      http.get(`*/api/conversations/${CONVERSATION}`, () => HttpResponse.json(detail)),
      http.post('*/api/query/stream', async ({ request }) => {
        bodies.push((await request.json()) as Record<string, unknown>);
        return sseBody([['done', answer({ answer: 'Invited.', tool_calls: [{ ...inviteProposal, status: 'done', result: { summary: 'Invited.' } }] })]]);
      }),
    );
    const user = userEvent.setup();
    renderApp('/');
    await user.click(await screen.findByRole('button', { name: 'Ask Binelek' }));
    const dialog = await screen.findByRole('dialog', { name: 'Ask Binelek' });
    await user.click(await within(dialog).findByRole('button', { name: /invite sam@example.com as a viewer/ }));

    const card = await within(dialog).findByRole('article', { name: /Invite member/ });
    await user.click(within(card).getByRole('button', { name: 'Confirm invite member' }));
    await within(dialog).findByText('You confirmed this.');
    expect(bodies[0]).toMatchObject({ confirm: 'call-invite-1', conversation_id: CONVERSATION });
  });
});
