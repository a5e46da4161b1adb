/**
 * The command box's conversation as a reducer: one turn per question (or decision on a proposed
 * action), filled in by stream events and replaced by the final answer.
 */
import type { ConversationDetail, ProviderId, QueryAnswer, SourceOut, StreamEvent, SuggestedAction, ToolCallOut } from './types';

export type TurnStatus = 'streaming' | 'done' | 'error';
export type DecisionKind = 'confirm' | 'cancel';

/** The user's answer to a proposed action: which one, and whether to run it. */
export interface Decision {
  kind: DecisionKind;
  callId: string;
}

export interface Turn {
  key: string;
  /** What the user asked, or "Confirm: invite member" for a decision. */
  question: string;
  decision: Decision | null;
  text: string;
  toolCalls: ToolCallOut[];
  sources: SourceOut[];
  suggestedActions: SuggestedAction[];
  provider: ProviderId | null;
  model: string | null;
  fallbackFrom: ProviderId | null;
  status: TurnStatus;
  error: unknown;
}

export interface ConversationState {
  conversationId: string | null;
  turns: Turn[];
}

export type ConversationAction =
  | { type: 'begin'; key: string; question: string; decision: Decision | null }
  | { type: 'event'; key: string; event: StreamEvent }
  | { type: 'done'; key: string; answer: QueryAnswer }
  | { type: 'fail'; key: string; error: unknown }
  | { type: 'load'; detail: ConversationDetail }
  | { type: 'reset' };

export const emptyConversation: ConversationState = { conversationId: null, turns: [] };

function newTurn(key: string, question: string, decision: Decision | null): Turn {
  return {
    key,
    question,
    decision,
    text: '',
    toolCalls: [],
    sources: [],
    suggestedActions: [],
    provider: null,
    model: null,
    fallbackFrom: null,
    status: 'streaming',
    error: null,
  };
}

function upsertCall(calls: ToolCallOut[], call: ToolCallOut): ToolCallOut[] {
  const at = calls.findIndex((c) => c.id === call.id);
  if (at === -1) return [...calls, call];
  return calls.map((c, i) => (i === at ? call : c));
}

function applyEvent(turn: Turn, event: StreamEvent): Turn {
  switch (event.type) {
    case 'start':
      return { ...turn, provider: event.provider, model: event.model };
    case 'delta':
      return { ...turn, text: turn.text + event.text };
    case 'tool_call':
      return { ...turn, toolCalls: upsertCall(turn.toolCalls, event.call) };
    case 'fallback':
      // The next model starts over: what the failed one streamed is not part of the answer.
      return { ...turn, fallbackFrom: event.from, provider: event.to, model: null, text: '' };
  }
}

function applyAnswer(turn: Turn, answer: QueryAnswer): Turn {
  return {
    ...turn,
    text: answer.answer,
    toolCalls: answer.tool_calls,
    sources: answer.sources,
    suggestedActions: answer.suggested_actions,
    provider: answer.provider,
    model: answer.model,
    fallbackFrom: answer.fallback_from ?? null,
    status: 'done',
    error: null,
  };
}

function updateTurn(state: ConversationState, key: string, change: (turn: Turn) => Turn): ConversationState {
  // Events for a turn that is gone (the user started a new conversation) are dropped.
  if (!state.turns.some((t) => t.key === key)) return state;
  return { ...state, turns: state.turns.map((t) => (t.key === key ? change(t) : t)) };
}

function decisionKindOf(question: string): DecisionKind | null {
  if (question.startsWith('Confirm: ')) return 'confirm';
  if (question.startsWith('Cancel: ')) return 'cancel';
  return null;
}

/** A stored conversation as turns: each user message opens one, the assistant's reply fills it. */
export function turnsFromDetail(detail: ConversationDetail): Turn[] {
  const turns: Turn[] = [];
  for (const message of detail.messages) {
    if (message.role === 'user') {
      turns.push({ ...newTurn(message.id, message.content, null), status: 'done' });
      continue;
    }
    const last = turns[turns.length - 1];
    const turn = last && last.status === 'done' && !last.text && last.toolCalls.length === 0 ? last : newTurn(message.id, '', null);
    if (turn !== last) turns.push(turn);
    Object.assign(turn, {
      text: message.content,
      toolCalls: message.tool_calls,
      sources: message.sources,
      provider: message.provider,
      model: message.model,
      status: 'done',
    } satisfies Partial<Turn>);
    // A stored decision is the user's "Confirm: …" / "Cancel: …" answered with that one call.
    const kind = decisionKindOf(turn.question);
    const settled = turn.toolCalls[0];
    if (kind && settled) turn.decision = { kind, callId: settled.id };
  }
  return turns;
}

export function conversationReducer(state: ConversationState, action: ConversationAction): ConversationState {
  switch (action.type) {
    case 'begin':
      return { ...state, turns: [...state.turns, newTurn(action.key, action.question, action.decision)] };
    case 'event': {
      const next = updateTurn(state, action.key, (t) => applyEvent(t, action.event));
      if (action.event.type === 'start' && next !== state) return { ...next, conversationId: action.event.conversation_id };
      return next;
    }
    case 'done': {
      const next = updateTurn(state, action.key, (t) => applyAnswer(t, action.answer));
      return next === state ? state : { ...next, conversationId: action.answer.conversation_id };
    }
    case 'fail':
      return updateTurn(state, action.key, (t) => ({ ...t, status: 'error', error: action.error }));
    case 'load':
      return { conversationId: action.detail.id, turns: turnsFromDetail(action.detail) };
    case 'reset':
      return emptyConversation;
  }
}

/**
 * The decision the user made on a proposed call: the latest decision turn for it that did not fail
 * (a failed request leaves the action open, so Confirm / Cancel come back).
 */
export function decisionFor(turns: Turn[], callId: string): Turn | null {
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i]!;
    if (turn.decision?.callId === callId && turn.status !== 'error') return turn;
  }
  return null;
}

/** The questions the user typed, oldest first (for ↑ recall). */
export function askedQuestions(turns: Turn[]): string[] {
  return turns.filter((t) => t.decision === null && t.question).map((t) => t.question);
}
