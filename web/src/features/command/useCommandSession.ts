import { useCallback, useEffect, useReducer, useRef } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useTenantKey } from '../auth/session';
import { conversationReducer, emptyConversation, type ConversationState, type DecisionKind } from './conversation';
import { fetchConversation } from './api';
import { streamQuery } from './stream';
import type { ModuleName, QueryIn, ToolCallOut } from './types';

export interface CommandSession {
  state: ConversationState;
  /** A request is streaming: sending waits for it. */
  busy: boolean;
  ask: (query: string, module?: ModuleName | null) => void;
  decide: (kind: DecisionKind, call: ToolCallOut) => void;
  /** Forget the current conversation (an unfinished answer is abandoned). */
  startOver: () => void;
  /** Load a stored conversation and continue it. */
  reopen: (conversationId: string) => Promise<void>;
}

/** The browser's IANA time zone, so "next Tuesday" means the user's Tuesday. */
export function browserTimeZone(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

let turnCounter = 0;

/** The command box's conversation: streams each request into the reducer's current turn. */
export function useCommandSession(): CommandSession {
  const [state, dispatch] = useReducer(conversationReducer, emptyConversation);
  const queryClient = useQueryClient();
  const tenantKey = useTenantKey();
  const controller = useRef<AbortController | null>(null);
  const conversationId = useRef<string | null>(null);
  conversationId.current = state.conversationId;
  const busy = state.turns.some((t) => t.status === 'streaming');

  const abort = useCallback(() => {
    controller.current?.abort();
    controller.current = null;
  }, []);

  const send = useCallback(
    (body: QueryIn, question: string, decision: { kind: DecisionKind; callId: string } | null) => {
      abort();
      const mine = new AbortController();
      controller.current = mine;
      const key = `turn-${++turnCounter}`;
      dispatch({ type: 'begin', key, question, decision });
      const request: QueryIn = { ...body, timezone: browserTimeZone() };
      if (conversationId.current) request.conversation_id = conversationId.current;
      streamQuery(request, (event) => dispatch({ type: 'event', key, event }), mine.signal)
        .then((answer) => {
          dispatch({ type: 'done', key, answer });
          void queryClient.invalidateQueries({ queryKey: [...tenantKey, 'conversations'] });
          // A confirmed action changed data some page may be showing.
          if (decision?.kind === 'confirm') void queryClient.invalidateQueries({ queryKey: tenantKey });
        })
        .catch((error: unknown) => {
          if (!mine.signal.aborted) dispatch({ type: 'fail', key, error });
        })
        .finally(() => {
          if (controller.current === mine) controller.current = null;
        });
    },
    [abort, queryClient, tenantKey],
  );

  const ask = useCallback(
    (query: string, module?: ModuleName | null) => send(module ? { query, module } : { query }, query, null),
    [send],
  );

  const decide = useCallback(
    (kind: DecisionKind, call: ToolCallOut) => {
      const label = call.tool.replace(/_/g, ' ');
      send(kind === 'confirm' ? { confirm: call.id } : { cancel: call.id }, `${kind === 'confirm' ? 'Confirm' : 'Cancel'}: ${label}`, {
        kind,
        callId: call.id,
      });
    },
    [send],
  );

  const startOver = useCallback(() => {
    abort();
    dispatch({ type: 'reset' });
  }, [abort]);

  const reopen = useCallback(
    async (id: string) => {
      const detail = await queryClient.fetchQuery({
        queryKey: [...tenantKey, 'conversations', id],
        queryFn: () => fetchConversation(id),
        staleTime: 0,
      });
      abort();
      dispatch({ type: 'load', detail });
    },
    [abort, queryClient, tenantKey],
  );

  // A conversation belongs to one company: switching tenants starts over.
  const tenant = tenantKey[1];
  useEffect(() => {
    startOver();
  }, [tenant, startOver]);
  useEffect(() => abort, [abort]);

  return { state, busy, ask, decide, startOver, reopen };
}
