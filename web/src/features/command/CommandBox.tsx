import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode, type RefObject } from 'react';
import { Link, useLocation } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import type { ApiError } from '../../api/problem';
import { Button, Dialog, ProblemAlert, QueryView, Spinner } from '../../components';
import { IconPlus, IconSparkles } from '../../components/Icons';
import { cn } from '../../lib/cn';
import { formatCompactDateTime } from '../../lib/format';
import { useTenantKey } from '../auth/session';
import { MODULES } from '../shell/modules';
import { fetchRecentConversations } from './api';
import { askedQuestions, decisionFor, type Turn } from './conversation';
import { ToolCallCard } from './ToolCallCard';
import type { ConversationPage, ModuleName, ProviderId } from './types';
import { useCommandSession, type CommandSession } from './useCommandSession';

export const QUERY_MAX = 1000;

const PROVIDER_NAMES: Record<ProviderId, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  google: 'Google',
  ollama: 'Ollama',
  local: 'the built-in offline engine',
};

const EXAMPLES = ['Which team members don’t have MFA?', 'Find anything about invoices', 'What changed in the audit log this week?'];

export function providerName(id: ProviderId | string): string {
  return PROVIDER_NAMES[id as ProviderId] ?? id;
}

/** The module whose page is showing, so its per-module model override applies. */
export function moduleForPath(pathname: string): ModuleName | null {
  const match = MODULES.find((m) => m.key && (pathname === m.path || pathname.startsWith(`${m.path}/`)));
  return (match?.key as ModuleName | undefined) ?? null;
}

/** True when the key event is Ctrl-K (Cmd-K on a Mac). */
export function isCommandShortcut(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k';
}

function isMac(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

interface CommandBoxControls {
  open: () => void;
}

const CommandBoxContext = createContext<CommandBoxControls | null>(null);

export function useCommandBox(): CommandBoxControls {
  const controls = useContext(CommandBoxContext);
  if (!controls) throw new Error('useCommandBox() outside <CommandBoxProvider>');
  return controls;
}

/**
 * Holds the command box for the signed-in app: Ctrl-K / Cmd-K opens it from any page, and the
 * conversation survives closing it (until "New conversation" or a tenant switch).
 */
export function CommandBoxProvider({ children }: { children: ReactNode }) {
  const [isOpen, setOpen] = useState(false);
  const session = useCommandSession();
  const input = useRef<HTMLInputElement>(null);

  const open = useCallback(() => {
    setOpen(true);
    input.current?.focus(); // already open: back to the question
  }, []);

  const openRef = useRef(isOpen);
  openRef.current = isOpen;

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (!isCommandShortcut(e)) return;
      e.preventDefault(); // the browser's own Ctrl-K (search bar) would take the focus
      // Another dialog (an editor, a confirmation) keeps the keyboard until it closes.
      if (!openRef.current && document.querySelector('[role="dialog"][aria-modal="true"]')) return;
      open();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);

  const controls = useMemo(() => ({ open }), [open]);
  return (
    <CommandBoxContext.Provider value={controls}>
      {children}
      <CommandBox open={isOpen} onClose={() => setOpen(false)} session={session} inputRef={input} />
    </CommandBoxContext.Provider>
  );
}

/** The top-bar button that opens the command box. */
export function CommandBoxButton() {
  const { open } = useCommandBox();
  const shortcut = isMac() ? '⌘K' : 'Ctrl K';
  return (
    <button
      type="button"
      onClick={open}
      aria-keyshortcuts="Control+K Meta+K"
      aria-label="Ask Binelek"
      title={`Ask Binelek (${shortcut})`}
      className="flex min-w-0 items-center gap-2 rounded-lg bg-white px-2.5 py-1.5 text-sm text-slate-500 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 hover:text-slate-700 focus-visible:outline-2 focus-visible:outline-brand-600 sm:w-56"
    >
      <IconSparkles className="h-4 w-4 shrink-0 text-brand-600" />
      <span className="hidden truncate sm:inline">Ask Binelek…</span>
      <kbd className="ml-auto hidden rounded border border-slate-200 bg-slate-50 px-1.5 font-sans text-[11px] font-medium text-slate-500 sm:inline">{shortcut}</kbd>
    </button>
  );
}

interface CommandBoxProps {
  open: boolean;
  onClose: () => void;
  session: CommandSession;
  inputRef: RefObject<HTMLInputElement | null>;
}

function CommandBox({ open, onClose, session, inputRef }: CommandBoxProps) {
  const location = useLocation();
  const [text, setText] = useState('');
  const [recall, setRecall] = useState<number | null>(null);
  const [reopenError, setReopenError] = useState<unknown>(null);
  const { turns } = session.state;
  const questions = askedQuestions(turns);
  const transcript = useRef<HTMLOListElement>(null);

  // Keep the newest output in view while it streams.
  const last = turns[turns.length - 1];
  useEffect(() => {
    const el = transcript.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [turns.length, last?.text, last?.toolCalls.length, last?.status]);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const query = text.trim();
    if (!query || session.busy) return;
    setReopenError(null);
    session.ask(query, moduleForPath(location.pathname));
    setText('');
    setRecall(null);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowUp' && questions.length > 0 && (text === '' || recall !== null)) {
      e.preventDefault();
      const at = recall === null ? questions.length - 1 : Math.max(0, recall - 1);
      setRecall(at);
      setText(questions[at] ?? '');
    } else if (e.key === 'ArrowDown' && recall !== null) {
      e.preventDefault();
      const at = recall + 1;
      setRecall(at < questions.length ? at : null);
      setText(at < questions.length ? (questions[at] ?? '') : '');
    }
  };

  const startOver = () => {
    session.startOver();
    setReopenError(null);
    setText('');
    setRecall(null);
    inputRef.current?.focus();
  };

  const reopen = (id: string) => {
    setReopenError(null);
    session.reopen(id).then(
      () => inputRef.current?.focus(),
      (error: unknown) => setReopenError(error),
    );
  };

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Ask Binelek"
      size="lg"
      footer={
        <div className="flex w-full flex-wrap items-center justify-between gap-2">
          <p className="text-xs text-slate-500">
            <kbd className="font-sans font-medium">Enter</kbd> sends · <kbd className="font-sans font-medium">↑</kbd> last question ·{' '}
            <kbd className="font-sans font-medium">Esc</kbd> closes
          </p>
          {turns.length > 0 && (
            <Button variant="secondary" size="sm" icon={<IconPlus className="h-4 w-4" />} onClick={startOver}>
              New conversation
            </Button>
          )}
        </div>
      }
    >
      <form onSubmit={submit} className="flex gap-2" role="search" aria-label="Ask Binelek">
        <label htmlFor="command-box-input" className="sr-only">
          Ask or tell Binelek
        </label>
        <input
          id="command-box-input"
          ref={inputRef}
          type="text"
          autoComplete="off"
          spellCheck={false}
          maxLength={QUERY_MAX}
          placeholder="Ask a question or give a command…"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setRecall(null);
          }}
          onKeyDown={onKeyDown}
          className="block w-full min-w-0 rounded-lg border-0 bg-white px-3 py-2.5 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-brand-600 focus:outline-none"
        />
        <Button type="submit" disabled={!text.trim() || session.busy} loading={session.busy}>
          Ask
        </Button>
      </form>

      <div className="mt-4">
        {reopenError ? <ProblemAlert className="mb-3" error={reopenError} title="Could not open that conversation" /> : null}
        {turns.length === 0 ? (
          <StartPanel onExample={(q) => setText(q)} onReopen={reopen} enabled={open} />
        ) : (
          <ol ref={transcript} aria-label="Conversation" className="max-h-[min(60vh,36rem)] space-y-5 overflow-y-auto pr-1">
            {turns.map((turn) => (
              <TurnView key={turn.key} turn={turn} turns={turns} session={session} onNavigate={onClose} />
            ))}
          </ol>
        )}
      </div>
    </Dialog>
  );
}

function StartPanel({ onExample, onReopen, enabled }: { onExample: (q: string) => void; onReopen: (id: string) => void; enabled: boolean }) {
  const tenantKey = useTenantKey();
  const recent = useQuery<ConversationPage, ApiError>({
    queryKey: [...tenantKey, 'conversations', 'recent'],
    queryFn: () => fetchRecentConversations(),
    enabled,
  });
  return (
    <div className="space-y-4">
      <section aria-label="Examples">
        <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-400">Try</h3>
        <ul className="mt-1.5 flex flex-wrap gap-2">
          {EXAMPLES.map((q) => (
            <li key={q}>
              <button
                type="button"
                onClick={() => onExample(q)}
                className="rounded-full bg-slate-100 px-3 py-1 text-xs text-slate-700 hover:bg-brand-50 hover:text-brand-700"
              >
                {q}
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="recent-conversations">
        <h3 id="recent-conversations" className="text-xs font-semibold uppercase tracking-wide text-slate-400">
          Recent conversations
        </h3>
        <QueryView query={recent} loadingLabel="Loading recent conversations" errorTitle="Could not load your conversations">
          {(page) =>
            page.items.length === 0 ? (
              <p className="mt-1.5 text-sm text-slate-500">No conversations yet.</p>
            ) : (
              <ul className="mt-1.5 divide-y divide-slate-100">
                {page.items.map((c) => (
                  <li key={c.id}>
                    <button
                      type="button"
                      onClick={() => onReopen(c.id)}
                      className="flex w-full items-center justify-between gap-3 rounded-md px-2 py-2 text-left text-sm hover:bg-slate-50"
                    >
                      <span className="truncate text-slate-800">{c.title}</span>
                      <time dateTime={c.updated_at} className="shrink-0 text-xs text-slate-400">
                        {formatCompactDateTime(c.updated_at)}
                      </time>
                    </button>
                  </li>
                ))}
              </ul>
            )
          }
        </QueryView>
      </section>
    </div>
  );
}

function TurnView({ turn, turns, session, onNavigate }: { turn: Turn; turns: Turn[]; session: CommandSession; onNavigate: () => void }) {
  const streaming = turn.status === 'streaming';
  const waiting = streaming && !turn.text && turn.toolCalls.length === 0;
  return (
    <li className="space-y-2">
      {turn.question && (
        <p className="ml-auto w-fit max-w-[85%] rounded-2xl rounded-br-sm bg-brand-600 px-3.5 py-2 text-sm text-white">{turn.question}</p>
      )}
      <div className="space-y-2" aria-busy={streaming || undefined} data-testid="answer">
        {waiting && (
          <p role="status" className="flex items-center gap-2 text-sm text-slate-500">
            <Spinner size="sm" decorative /> Thinking…
          </p>
        )}
        {turn.text && (
          <p className={cn('whitespace-pre-wrap text-sm leading-relaxed text-slate-800', streaming && 'after:ml-0.5 after:animate-pulse after:content-["▍"]')}>
            {turn.text}
          </p>
        )}
        {turn.toolCalls.length > 0 && (
          <div className="space-y-2">
            {turn.toolCalls.map((call) => (
              <ToolCallCard
                key={call.id}
                call={call}
                decision={turn.decision ? null : decisionFor(turns, call.id)}
                canDecide={!session.busy}
                onDecide={turn.decision ? undefined : session.decide}
              />
            ))}
          </div>
        )}
        {turn.status === 'error' && <ProblemAlert error={turn.error} />}
        <Links turn={turn} onNavigate={onNavigate} />
        {turn.status === 'done' && turn.provider && (
          <p className="text-xs text-slate-400">
            Answered by {providerName(turn.provider)}
            {turn.model && turn.provider !== 'local' ? ` · ${turn.model}` : ''}
            {turn.fallbackFrom && <span className="text-amber-700"> (fell back from {providerName(turn.fallbackFrom)})</span>}
          </p>
        )}
      </div>
    </li>
  );
}

function Links({ turn, onNavigate }: { turn: Turn; onNavigate: () => void }) {
  if (turn.sources.length === 0 && turn.suggestedActions.length === 0) return null;
  return (
    <div className="space-y-2">
      {turn.sources.length > 0 && (
        <div>
          <h4 className="text-xs font-semibold uppercase tracking-wide text-slate-400">Sources</h4>
          <ul className="mt-1 flex flex-wrap gap-x-3 gap-y-1 text-sm">
            {turn.sources.map((s) => (
              <li key={`${s.kind}:${s.id}`}>
                <Link to={s.url} onClick={onNavigate} className="font-medium text-brand-600 hover:text-brand-700">
                  {s.title}
                </Link>
              </li>
            ))}
          </ul>
        </div>
      )}
      {turn.suggestedActions.length > 0 && (
        <ul aria-label="Suggested actions" className="flex flex-wrap gap-2">
          {turn.suggestedActions.map((a) => (
            <li key={a.path}>
              <Link
                to={a.path}
                onClick={onNavigate}
                className="inline-flex items-center rounded-lg bg-white px-2.5 py-1.5 text-xs font-medium text-slate-800 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
              >
                {a.label}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
