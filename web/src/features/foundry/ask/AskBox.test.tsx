import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderWithProviders } from '../../../test/render';
import { problem, server } from '../../../test/server';
import { AskBox } from './AskBox';
import { AskPage } from './AskPage';
import type { QuestionOut } from './types';

const SQL = 'SELECT date_trunc(\'month\', o.placed_at) AS month, sum(o.total) AS revenue\nFROM orders o WHERE o.tenant_id = :tenant_id GROUP BY 1';

const byMonth: QuestionOut = {
  understood: true,
  interpretation: 'Revenue by month, from Jan 1, 2025 to Mar 31, 2025.',
  sql: SQL,
  columns: [
    { name: 'date.month', type: 'time' },
    { name: 'revenue', type: 'money' },
  ],
  rows: [
    ['2025-01-01', 1200.5],
    ['2025-02-01', 1850],
    ['2025-03-01', 990.25],
  ],
  chart: { type: 'line', x: 'date.month', y: ['revenue'], series: null },
  answer: 'Revenue was 4,040.75 from January to March; February was the best month.',
  semantic_query: { metrics: ['revenue'], dimensions: ['date.month'] },
  engine: 'local',
  suggestions: [],
  currency: 'USD',
};

const notUnderstood: QuestionOut = {
  understood: false,
  interpretation: 'I could not find a metric in “how is the weather”.',
  sql: null,
  columns: [],
  rows: [],
  chart: null,
  answer: 'I can’t answer that yet.',
  engine: 'local',
  suggestions: ['Revenue last month', 'Top products by revenue'],
};

function answering(answers: Record<string, QuestionOut>) {
  const asked: unknown[] = [];
  server.use(
    http.post('*/api/modules/mini-foundry/query', async ({ request }) => {
      const body = (await request.json()) as { query: string };
      asked.push(body);
      const answer = answers[body.query];
      return answer ? HttpResponse.json(answer) : problem(422, 'VALIDATION_ERROR', 'Validation error', 'Unknown');
    }),
  );
  return asked;
}

describe('AskBox', () => {
  it('shows the answer, the chart, the interpretation and the SQL with a copy button', async () => {
    const asked = answering({ 'Revenue by month': byMonth });
    const onAnswered = vi.fn();
    const user = userEvent.setup(); // installs a clipboard stub we can read back
    renderWithProviders(<AskBox onAnswered={onAnswered} />);

    await user.type(screen.getByRole('textbox', { name: 'Question' }), '  Revenue by month {Enter}');
    const card = await screen.findByRole('region', { name: 'Answer' });
    expect(asked).toEqual([{ query: 'Revenue by month' }]);
    expect(within(card).getByText(byMonth.answer)).toBeTruthy();
    expect(within(card).getByText('Answered by the built-in offline engine')).toBeTruthy();
    expect(within(card).getByText(byMonth.interpretation)).toBeTruthy();

    const figure = within(card).getByRole('figure', { name: 'Revenue by month' });
    expect(figure.closest('[data-chart-type]')?.getAttribute('data-chart-type')).toBe('line');
    await waitFor(() => expect(figure.querySelector('.recharts-line-curve')?.getAttribute('d')).toBeTruthy());
    const table = within(figure).getByRole('table', { name: 'Revenue by month' });
    const rows = within(table).getAllByRole('row');
    // Money shows in the company's currency.
    expect(rows.map((r) => r.textContent)).toEqual(['MonthRevenue', 'Jan 2025$1,200.50', 'Feb 2025$1,850.00', 'Mar 2025$990.25']);

    const sql = within(card).getByText('SQL').closest('details')!;
    expect(sql.open).toBe(false);
    await user.click(within(card).getByText('SQL'));
    expect(sql.open).toBe(true);
    expect(within(sql).getByLabelText('SQL that ran').textContent).toBe(SQL);
    await user.click(within(sql).getByRole('button', { name: 'Copy SQL' }));
    expect(await within(sql).findByText('Copied')).toBeTruthy();
    expect(await navigator.clipboard.readText()).toBe(SQL);
    expect(onAnswered).toHaveBeenCalledWith('Revenue by month', byMonth);
  });

  it('offers the suggestions as chips when the question is not understood, and asks the one clicked', async () => {
    const asked = answering({
      'how is the weather': notUnderstood,
      'Revenue last month': { ...byMonth, chart: { type: 'kpi', x: null, y: ['revenue'] }, columns: [{ name: 'revenue', type: 'money' }], rows: [[4040.75]], answer: 'Revenue last month was 4,040.75.', currency: null },
    });
    const user = userEvent.setup();
    renderWithProviders(<AskBox />);

    await user.type(screen.getByRole('textbox', { name: 'Question' }), 'how is the weather{Enter}');
    const card = await screen.findByRole('region', { name: 'Answer' });
    expect(within(card).getByText('Not understood')).toBeTruthy();
    expect(within(card).queryByRole('figure')).toBeNull();
    expect(within(card).queryByText('SQL')).toBeNull();
    const chips = within(card).getByRole('list', { name: 'Questions I can answer:' });
    expect(within(chips).getAllByRole('button').map((b) => b.textContent)).toEqual(['Revenue last month', 'Top products by revenue']);

    await user.click(within(chips).getByRole('button', { name: 'Revenue last month' }));
    expect(await screen.findByText('Revenue last month was 4,040.75.')).toBeTruthy();
    expect(asked).toEqual([{ query: 'how is the weather' }, { query: 'Revenue last month' }]);
    expect((screen.getByRole('textbox', { name: 'Question' }) as HTMLInputElement).value).toBe('Revenue last month');
    // A KPI answer is one big number; without a known currency, money is a plain amount.
    expect(screen.getByText('4,040.75')).toBeTruthy();
  });

  it('shows a money KPI in the company currency', async () => {
    answering({
      'Revenue this month': { ...byMonth, chart: { type: 'kpi', x: null, y: ['revenue'] }, columns: [{ name: 'revenue', type: 'money' }], rows: [[8049.55]], currency: 'USD' },
    });
    const user = userEvent.setup();
    renderWithProviders(<AskBox />);
    await user.type(screen.getByRole('textbox', { name: 'Question' }), 'Revenue this month{Enter}');
    const kpi = await screen.findByRole('figure', { name: 'Revenue this month' });
    expect(within(kpi).getByText('$8,049.55')).toBeTruthy();
  });

  it('shows a problem when the question cannot be answered', async () => {
    server.use(
      http.post('*/api/modules/mini-foundry/query', () => problem(429, 'RATE_LIMITED', 'Too many requests', 'Slow down a little.')),
    );
    const user = userEvent.setup();
    renderWithProviders(<AskBox />);
    expect((screen.getByRole('button', { name: 'Ask' }) as HTMLButtonElement).disabled).toBe(true);
    await user.type(screen.getByRole('textbox', { name: 'Question' }), 'Revenue{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not answer that');
    expect(alert.textContent).toContain('Slow down a little.');
  });
});

describe('AskPage', () => {
  it('asks an example question and lists it in this session’s history', async () => {
    const asked = answering({ 'Revenue by month this year': { ...byMonth, chart: { type: 'bar', x: 'date.month', y: ['revenue'] } } });
    const user = userEvent.setup();
    renderWithProviders(<AskPage />);

    expect(screen.getByText('Your questions will be listed here.')).toBeTruthy();
    const examples = screen.getByRole('list', { name: 'Example questions' });
    await user.click(within(examples).getByRole('button', { name: 'Revenue by month this year' }));

    const figure = await screen.findByRole('figure', { name: 'Revenue by month this year' });
    await waitFor(() => expect(figure.querySelectorAll('.recharts-bar-rectangle').length).toBe(3));
    const history = screen.getByRole('list', { name: 'Questions asked' });
    expect(within(history).getByRole('button').textContent).toBe(`Revenue by month this year${byMonth.answer}`);
    expect(JSON.parse(sessionStorage.getItem('binelek.foundry.ask-history.default')!)).toHaveLength(1);

    // Asking it again from the history does not list it twice.
    await user.click(within(history).getByRole('button'));
    await waitFor(() => expect(asked).toHaveLength(2));
    await waitFor(() => expect(within(screen.getByRole('list', { name: 'Questions asked' })).getAllByRole('listitem')).toHaveLength(1));

    await user.click(screen.getByRole('button', { name: 'Clear' }));
    expect(screen.getByText('Your questions will be listed here.')).toBeTruthy();
  });
});
