import { useId, useImperativeHandle, useState, type FormEvent, type Ref } from 'react';
import { useMutation } from '@tanstack/react-query';
import type { ApiError } from '../../../api/problem';
import { Badge, Button, CopyButton, ProblemAlert, Spinner } from '../../../components';
import { IconSearch, IconSparkles } from '../../../components/Icons';
import { providerName } from '../../command/CommandBox';
import { askQuestion } from './api';
import { ResultChart } from './ResultChart';
import type { QuestionOut } from './types';

export const QUESTION_MAX = 1000;

export interface AskBoxHandle {
  /** Put `question` in the box and ask it (a history entry, an example). */
  ask: (question: string) => void;
}

interface AskBoxProps {
  ref?: Ref<AskBoxHandle>;
  /** Called with each answer, understood or not. */
  onAnswered?: (question: string, answer: QuestionOut) => void;
  placeholder?: string;
  autoFocus?: boolean;
}

interface Asked {
  question: string;
  answer: QuestionOut;
}

/** The SQL that ran, folded away until asked for, with a copy button. */
export function SqlBlock({ sql }: { sql: string }) {
  return (
    <details className="group rounded-lg bg-slate-50 ring-1 ring-slate-200">
      <summary className="cursor-pointer select-none px-3 py-2 text-xs font-medium text-slate-600 hover:text-slate-900">SQL</summary>
      <div className="space-y-2 border-t border-slate-200 px-3 py-3">
        <pre className="max-h-72 overflow-auto whitespace-pre-wrap break-words font-mono text-xs text-slate-800" aria-label="SQL that ran">
          <code>{sql}</code>
        </pre>
        <CopyButton value={sql} label="Copy SQL" />
      </div>
    </details>
  );
}

function Suggestions({ suggestions, onPick }: { suggestions: string[]; onPick: (question: string) => void }) {
  const headingId = useId();
  if (suggestions.length === 0) return null;
  return (
    <div className="space-y-2">
      <p id={headingId} className="text-sm font-medium text-slate-700">
        Questions I can answer:
      </p>
      <ul aria-labelledby={headingId} className="flex flex-wrap gap-2">
        {suggestions.map((suggestion) => (
          <li key={suggestion}>
            <button
              type="button"
              onClick={() => onPick(suggestion)}
              className="rounded-full bg-brand-50 px-3 py-1 text-sm text-brand-700 ring-1 ring-inset ring-brand-100 hover:bg-brand-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600"
            >
              {suggestion}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** An answer: the sentence, the chart, how the question was read, and the SQL that produced it. */
export function AnswerCard({ question, answer, onAsk }: Asked & { onAsk: (question: string) => void }) {
  const columns = answer.columns;
  return (
    <section aria-label="Answer" className="space-y-4 rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <p className="min-w-0 flex-1 text-lg font-medium text-slate-900">{answer.answer}</p>
        <Badge tone={answer.understood ? 'brand' : 'warning'}>{answer.understood ? `Answered by ${providerName(answer.engine)}` : 'Not understood'}</Badge>
      </div>
      {answer.understood && answer.chart && (
        <ResultChart title={question} columns={columns} rows={answer.rows} chart={answer.chart} currency={answer.currency} />
      )}
      {answer.interpretation && (
        <p className="text-sm text-slate-600">
          <span className="font-medium text-slate-700">How I read it: </span>
          {answer.interpretation}
        </p>
      )}
      {!answer.understood && <Suggestions suggestions={answer.suggestions} onPick={onAsk} />}
      {answer.sql && <SqlBlock sql={answer.sql} />}
    </section>
  );
}

/**
 * Ask a question about the business in plain words ("revenue by month this year") and get the
 * answer, a chart, the interpretation and the SQL. When the question is not understood, the
 * suggestions are one click away.
 */
export function AskBox({ ref, onAnswered, placeholder = 'e.g. Revenue by month this year', autoFocus = false }: AskBoxProps) {
  const inputId = useId();
  const [text, setText] = useState('');
  const [asked, setAsked] = useState<Asked | null>(null);
  const mutation = useMutation<QuestionOut, ApiError, string>({
    mutationFn: askQuestion,
    onSuccess: (answer, question) => {
      setAsked({ question, answer });
      onAnswered?.(question, answer);
    },
  });

  const ask = (question: string) => {
    const trimmed = question.trim().slice(0, QUESTION_MAX);
    if (!trimmed) return;
    setText(trimmed);
    mutation.mutate(trimmed);
  };

  useImperativeHandle(ref, () => ({ ask }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    ask(text);
  };

  return (
    <div className="space-y-4">
      <form role="search" aria-label="Ask about your business" onSubmit={submit} className="flex flex-col gap-2 sm:flex-row">
        <label htmlFor={inputId} className="sr-only">
          Question
        </label>
        <div className="relative min-w-0 flex-1">
          <IconSearch className="pointer-events-none absolute left-3 top-1/2 h-4 w-4 -translate-y-1/2 text-slate-400" />
          <input
            id={inputId}
            type="text"
            value={text}
            onChange={(e) => setText(e.target.value)}
            maxLength={QUESTION_MAX}
            placeholder={placeholder}
            autoFocus={autoFocus}
            autoComplete="off"
            className="block w-full rounded-lg border-0 bg-white py-2.5 pl-9 pr-3 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:outline-none focus:ring-2 focus:ring-inset focus:ring-brand-600"
          />
        </div>
        <Button type="submit" loading={mutation.isPending} disabled={!text.trim()} icon={<IconSparkles className="h-4 w-4" />}>
          Ask
        </Button>
      </form>
      {mutation.isPending && (
        <div className="flex justify-center py-6">
          <Spinner label="Working out the answer…" />
        </div>
      )}
      {mutation.isError && !mutation.isPending && <ProblemAlert error={mutation.error} title="Could not answer that" />}
      {asked && !mutation.isPending && !mutation.isError && <AnswerCard question={asked.question} answer={asked.answer} onAsk={ask} />}
    </div>
  );
}
