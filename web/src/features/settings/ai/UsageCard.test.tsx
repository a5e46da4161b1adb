import { describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../../api/auth';
import { renderWithProviders } from '../../../test/render';
import { server, tokens } from '../../../test/server';
import type { UsageReport } from './types';
import { dayRange, formatUsd, UsageCard, usageGroups } from './UsageCard';

function isoDaysAgo(n: number): string {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - n)).toISOString().slice(0, 10);
}

const report: UsageReport = {
  month_start: '2025-01-01',
  month_tokens: 420_000,
  month_cost_usd: '1.2345',
  monthly_token_budget: 500_000,
  days: [
    { day: isoDaysAgo(2), provider: 'openai', queries: 3, prompt_tokens: 300_000, completion_tokens: 20_000, cost_usd: '1.0000' },
    { day: isoDaysAgo(2), provider: 'local', queries: 5, prompt_tokens: 4_000, completion_tokens: 1_000, cost_usd: '0' },
    { day: isoDaysAgo(0), provider: 'anthropic', queries: 1, prompt_tokens: 90_000, completion_tokens: 10_000, cost_usd: '0.2345' },
  ],
};

describe('UsageCard', () => {
  it('shows this month against the budget, the cost, and tokens per day by provider', async () => {
    session.setTokens(tokens('access-1'));
    tenantStore.set('t1');
    let days: string | null = null;
    server.use(
      http.get('*/api/llm/usage', ({ request }) => {
        days = new URL(request.url).searchParams.get('days');
        return HttpResponse.json(report);
      }),
    );
    renderWithProviders(<UsageCard />);

    const meter = await screen.findByRole('meter', { name: /Tokens used in January 2025/ });
    expect(meter.getAttribute('aria-valuenow')).toBe('420000');
    expect(meter.getAttribute('aria-valuemax')).toBe('500000');
    expect(meter.getAttribute('aria-valuetext')).toBe('420,000 of 500,000 tokens (84%)');
    expect(screen.getByText('84% of the monthly budget used.')).toBeTruthy();
    expect(screen.getByText('$1.23')).toBeTruthy();
    expect(days).toBe('30');

    const chart = screen.getByRole('img', { name: /Tokens per day by provider, last 30 days/ });
    expect(chart.querySelector('desc')?.textContent).toBe('425,000 tokens in total: OpenAI 320,000, Anthropic 100,000, Offline engine 5,000.');
    expect(chart.querySelectorAll('rect')).toHaveLength(3);
    const table = screen.getByRole('table', { name: /Tokens per day by provider/ });
    expect(within(table).getAllByRole('row')).toHaveLength(31); // header + 30 days, empty ones included
  });

  it('says when there is no budget and no usage', async () => {
    session.setTokens(tokens('access-1'));
    server.use(
      http.get('*/api/llm/usage', () =>
        HttpResponse.json({ ...report, month_tokens: 0, month_cost_usd: '0', monthly_token_budget: null, days: [] }),
      ),
    );
    renderWithProviders(<UsageCard />);
    expect(await screen.findByText('No monthly budget is set. Admins can set one below.')).toBeTruthy();
    expect(screen.getByText('No AI usage in the last 30 days.')).toBeTruthy();
    expect(screen.queryByRole('meter')).toBeNull();
  });
});

describe('usage helpers', () => {
  it('fills every day of the range and sums prompt and completion tokens', () => {
    const today = new Date('2025-03-02T15:00:00Z');
    expect(dayRange(3, [], today)).toEqual(['2025-02-28', '2025-03-01', '2025-03-02']);
    const { groups, series } = usageGroups(
      [{ day: '2025-03-01', provider: 'local', queries: 1, prompt_tokens: 7, completion_tokens: 3, cost_usd: '0' }],
      3,
      today,
    );
    expect(groups.map((g) => g.values)).toEqual([{}, { local: 10 }, {}]);
    expect(series.map((s) => s.key)).toEqual(['local']);
  });

  it('formats small costs with more precision', () => {
    expect(formatUsd('0.0042')).toBe('$0.0042');
    expect(formatUsd('12.5')).toBe('$12.50');
    expect(formatUsd('0')).toBe('$0.00');
  });
});
