import { useRef } from 'react';
import { Button, Card, PageHeader } from '../../../components';
import { formatCompactDateTime } from '../../../lib/format';
import { useTenantId } from '../../auth/session';
import { AskBox, type AskBoxHandle } from './AskBox';
import { useAskHistory } from './history';
import type { QuestionOut } from './types';

/** Questions the semantic layer answers, to show what kind of question works. */
export const EXAMPLE_QUESTIONS = [
  'What was revenue last month?',
  'Revenue by month this year',
  'Top 10 products by revenue in the last 90 days',
  'Orders by channel in the last 30 days',
  'Average order value by month',
  'Revenue by country this year',
  'Who are my top customers?',
  'How many new customers this month?',
] as const;

function QuestionButton({ question, detail, onAsk }: { question: string; detail?: string; onAsk: (q: string) => void }) {
  return (
    <button
      type="button"
      onClick={() => onAsk(question)}
      className="block w-full rounded-lg px-3 py-2 text-left hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600"
    >
      <span className="block text-sm font-medium text-slate-800">{question}</span>
      {detail && <span className="mt-0.5 block truncate text-xs text-slate-500">{detail}</span>}
    </button>
  );
}

/** Ask page: the Ask box, the questions asked in this session, and example questions. */
export function AskPage() {
  const box = useRef<AskBoxHandle>(null);
  const tenantId = useTenantId() ?? 'default';
  const history = useAskHistory(tenantId);
  const ask = (question: string) => box.current?.ask(question);
  const remember = (question: string, answer: QuestionOut) =>
    history.add({ question, answer: answer.answer, understood: answer.understood, askedAt: new Date().toISOString() });

  return (
    <div>
      <PageHeader title="Ask" description="Ask about your sales, customers and invoices in plain words. Every answer shows how it was read and the SQL that ran." />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_18rem]">
        <AskBox ref={box} onAnswered={remember} autoFocus />
        <div className="space-y-6">
          <Card
            title="This session"
            padded={false}
            actions={
              history.entries.length > 0 && (
                <Button variant="ghost" size="sm" onClick={history.clear}>
                  Clear
                </Button>
              )
            }
          >
            {history.entries.length === 0 ? (
              <p className="px-5 py-4 text-sm text-slate-500">Your questions will be listed here.</p>
            ) : (
              <ul aria-label="Questions asked" className="divide-y divide-slate-100 p-2">
                {history.entries.map((entry) => (
                  <li key={entry.question} title={formatCompactDateTime(entry.askedAt)}>
                    <QuestionButton question={entry.question} detail={entry.answer} onAsk={ask} />
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="Try asking" padded={false}>
            <ul aria-label="Example questions" className="p-2">
              {EXAMPLE_QUESTIONS.map((question) => (
                <li key={question}>
                  <QuestionButton question={question} onAsk={ask} />
                </li>
              ))}
            </ul>
          </Card>
        </div>
      </div>
    </div>
  );
}
