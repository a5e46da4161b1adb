import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { delay, http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../../api/auth';
import { me } from '../../../test/fixtures';
import { renderWithProviders } from '../../../test/render';
import { problem, server, tokens } from '../../../test/server';
import { dailyRevenue, forecastOf, insightsList, mover, productRevenue } from './fixtures';
import { FIRST_CARDS, InsightsFeed } from './InsightsFeed';
import { keyNumbers } from './numbers';
import type { InsightsOut } from './types';

const FOUNDRY = '*/api/modules/mini-foundry';

function signedInAs(role: 'admin' | 'member' | 'viewer', list: InsightsOut = insightsList) {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  const calls = { list: [] as URLSearchParams[], dismissed: [] as string[], queries: [] as unknown[] };
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role } })),
    http.get(`${FOUNDRY}/insights`, ({ request }) => {
      const params = new URL(request.url).searchParams;
      calls.list.push(params);
      const kind = params.get('kind');
      return HttpResponse.json({ ...list, insights: list.insights.filter((i) => !kind || i.kind === kind) });
    }),
    http.post(`${FOUNDRY}/insights/:id/dismiss`, ({ params }) => {
      calls.dismissed.push(String(params.id));
      return HttpResponse.json(list.insights.find((i) => i.id === params.id));
    }),
    http.post(`${FOUNDRY}/metrics/query`, async ({ request }) => {
      const query = (await request.json()) as { dimensions?: string[] };
      calls.queries.push(query);
      return HttpResponse.json(query.dimensions?.[0] === 'product' ? productRevenue : dailyRevenue);
    }),
    http.get(`${FOUNDRY}/insights/:id/explanation`, ({ params }) =>
      HttpResponse.json({
        insight: list.insights.find((i) => i.id === params.id),
        method: 'The day against the same weekday of the previous 8 weeks, by a robust z-score.',
        details: ['Tuesday, 4 Mar: $412', 'Typical Tuesday: $980'],
      }),
    ),
    http.get(`${FOUNDRY}/forecast`, ({ request }) => {
      const params = new URL(request.url).searchParams;
      return HttpResponse.json(forecastOf(params.get('metric') as 'revenue', Number(params.get('horizon'))));
    }),
  );
  return calls;
}

describe('InsightsFeed', () => {
  it('shows each insight with its kind, sentence, key numbers and chart', async () => {
    const calls = signedInAs('member');
    renderWithProviders(<InsightsFeed />);

    const list = await screen.findByRole('list', { name: 'Insights' });
    const cards = within(list).getAllByRole('article');
    expect(cards.map((c) => c.getAttribute('aria-labelledby') && within(c).getByRole('heading').textContent)).toEqual([
      'Revenue unusually low on Tuesday',
      'Ethiopia Yirgacheffe up $1,240',
      'Revenue forecast for the next 30 days',
    ]);
    const anomalyCard = screen.getByRole('article', { name: 'Revenue unusually low on Tuesday' });
    expect(within(anomalyCard).getByText('Anomaly').textContent).toBe('Anomaly · Needs attention');
    expect(anomalyCard.className).toContain('border-l-amber-500');
    expect(within(anomalyCard).getByText(/58 % below a typical Tuesday/)).toBeTruthy();
    const numbers = within(anomalyCard).getAllByRole('definition').map((dd) => dd.textContent);
    expect(numbers).toEqual(['$412.00', '$980.00', '-58%']);

    // The anomaly's chart is its own query, drawn as a line.
    const chart = await within(anomalyCard).findByRole('figure', { name: 'Revenue unusually low on Tuesday' });
    await waitFor(() => expect(chart.querySelector('.recharts-line-curve')).toBeTruthy());
    expect(calls.queries).toContainEqual(insightsList.insights[0]!.chart.query);

    // The mover's chart is a bar per product; the forecast's continues the history with a band.
    const moverCard = screen.getByRole('article', { name: 'Ethiopia Yirgacheffe up $1,240' });
    expect(moverCard.className).toContain('border-l-emerald-500');
    await waitFor(() => expect(moverCard.querySelectorAll('.recharts-bar-rectangle').length).toBe(2));
    const forecastCard = screen.getByRole('article', { name: 'Revenue forecast for the next 30 days' });
    await waitFor(() => expect(forecastCard.querySelector('.recharts-area-area')).toBeTruthy());
    expect(within(forecastCard).getAllByRole('definition').map((dd) => dd.textContent)).toEqual(['$28,400.00', '$25,100.00 – $31,900.00', '$27,000.00', '+5.2%']);

    expect(calls.list[0]!.get('kind')).toBeNull();
    expect(calls.list[0]!.get('limit')).toBe('50');
  });

  it('dismisses an insight at once and keeps it gone', async () => {
    const calls = signedInAs('member');
    const user = userEvent.setup();
    renderWithProviders(<InsightsFeed />);
    await screen.findByRole('list', { name: 'Insights' });

    await user.click(screen.getByRole('button', { name: 'Dismiss: Ethiopia Yirgacheffe up $1,240' }));
    await waitFor(() => expect(screen.queryByRole('article', { name: 'Ethiopia Yirgacheffe up $1,240' })).toBeNull());
    expect(calls.dismissed).toEqual([mover.id]);
    expect(screen.getAllByRole('article')).toHaveLength(2);
  });

  it('puts a dismissed insight back when the server refuses', async () => {
    signedInAs('member');
    server.use(http.post(`${FOUNDRY}/insights/:id/dismiss`, () => problem(404, 'NOT_FOUND', 'Not found', 'The insight does not exist.')));
    const user = userEvent.setup();
    renderWithProviders(<InsightsFeed />);
    await screen.findByRole('list', { name: 'Insights' });
    await user.click(screen.getByRole('button', { name: 'Dismiss: Ethiopia Yirgacheffe up $1,240' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Could not dismiss the insight');
    expect(screen.getByRole('article', { name: 'Ethiopia Yirgacheffe up $1,240' })).toBeTruthy();
  });

  it('refreshes with a progress bar, and filters by kind', async () => {
    const calls = signedInAs('admin');
    let release: () => void = () => undefined;
    server.use(
      http.post(`${FOUNDRY}/insights/refresh`, async () => {
        await new Promise<void>((resolve) => (release = resolve));
        return HttpResponse.json({ insights: [mover], computed_at: '2025-03-05T07:00:00Z' });
      }),
    );
    const user = userEvent.setup();
    renderWithProviders(<InsightsFeed />);
    await screen.findByRole('list', { name: 'Insights' });

    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByRole('progressbar', { name: 'Refreshing insights' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Refreshing…' }).hasAttribute('disabled')).toBe(true);
    release();
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
    await waitFor(() => expect(screen.getAllByRole('article')).toHaveLength(1));

    await user.click(within(screen.getByRole('group', { name: 'Show insights of kind' })).getByRole('button', { name: 'Anomalies' }));
    await waitFor(() => expect(calls.list.at(-1)!.get('kind')).toBe('anomaly'));
    expect(await screen.findByRole('article', { name: 'Revenue unusually low on Tuesday' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Anomalies' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('lets a viewer read but not dismiss or refresh, and opens a chart larger', async () => {
    signedInAs('viewer');
    const user = userEvent.setup();
    renderWithProviders(<InsightsFeed chartHref={(insight) => `/foundry/explore?insight=${insight.id}`} />);
    const card = await screen.findByRole('article', { name: 'Revenue unusually low on Tuesday' });
    // The role arrives with /me; until then and after, there is nothing to change.
    await delay(20);
    expect(screen.queryByRole('button', { name: /^Dismiss/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Refresh' })).toBeNull();
    expect(within(card).getByRole('link', { name: 'Explore: Revenue unusually low on Tuesday' }).getAttribute('href')).toBe(
      `/foundry/explore?insight=${insightsList.insights[0]!.id}`,
    );

    await user.click(within(card).getByRole('button', { name: 'View chart: Revenue unusually low on Tuesday' }));
    const dialog = screen.getByRole('dialog', { name: 'Revenue unusually low on Tuesday' });
    const figure = await within(dialog).findByRole('figure', { name: 'Revenue unusually low on Tuesday' });
    expect(figure).toBeTruthy();
    expect(within(dialog).getByText('Show as a table')).toBeTruthy();
    const how = within(dialog).getByRole('region', { name: 'How this was found' });
    expect(await within(how).findByText(/robust z-score/)).toBeTruthy();
    expect(within(how).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Tuesday, 4 Mar: $412', 'Typical Tuesday: $980']);
  });

  it('shows the first cards, then all on request', async () => {
    const many = Array.from({ length: FIRST_CARDS + 2 }, (_, i) => ({ ...mover, id: `id-${i}`, title: `Mover ${i}`, chart: {} }));
    signedInAs('member', { insights: many, computed_at: '2025-03-05T06:00:00Z' });
    const user = userEvent.setup();
    renderWithProviders(<InsightsFeed />);
    await screen.findByRole('list', { name: 'Insights' });
    expect(screen.getAllByRole('article')).toHaveLength(FIRST_CARDS);
    await user.click(screen.getByRole('button', { name: `Show all ${FIRST_CARDS + 2} insights` }));
    expect(screen.getAllByRole('article')).toHaveLength(FIRST_CARDS + 2);
  });

  it('says so when nothing stands out', async () => {
    signedInAs('member', { insights: [], computed_at: null });
    renderWithProviders(<InsightsFeed />);
    expect(await screen.findByText('Nothing stands out right now')).toBeTruthy();
  });
});

describe('keyNumbers', () => {
  it('falls back to the numeric fields of an unknown kind', () => {
    expect(keyNumbers({ ...mover, kind: 'cohort', numbers: { retained: 0.5, label: 'x', size: 1200 } })).toEqual([
      { label: 'Retained', value: '0.5' },
      { label: 'Size', value: '1,200' },
    ]);
  });
});
