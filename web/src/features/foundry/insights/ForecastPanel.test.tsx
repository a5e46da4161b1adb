import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderWithProviders } from '../../../test/render';
import { server } from '../../../test/server';
import { forecastRows } from './ForecastChart';
import { ForecastPanel } from './ForecastPanel';
import { forecastOf, segments } from './fixtures';
import { SegmentsPanel } from './SegmentsPanel';

const FOUNDRY = '*/api/modules/mini-foundry';

function serving() {
  const asked: string[] = [];
  server.use(
    http.get(`${FOUNDRY}/forecast`, ({ request }) => {
      const params = new URL(request.url).searchParams;
      asked.push(`${params.get('metric')}:${params.get('horizon')}`);
      return HttpResponse.json(forecastOf(params.get('metric') as 'revenue' | 'orders', Number(params.get('horizon'))));
    }),
  );
  return asked;
}

describe('ForecastPanel', () => {
  it('draws history, the forecast and its interval as a band, and switches metric and horizon', async () => {
    const asked = serving();
    const user = userEvent.setup();
    renderWithProviders(<ForecastPanel currency="USD" />);

    const figure = await screen.findByRole('figure', { name: 'Revenue forecast, next 30 days' });
    await waitFor(() => expect(figure.querySelector('.recharts-area-area')?.getAttribute('d')).toBeTruthy());
    // Two lines: the actual days and the dashed forecast.
    expect(figure.querySelectorAll('.recharts-line-curve')).toHaveLength(2);
    expect(figure.querySelector('.recharts-line-curve[stroke-dasharray="6 4"]')).toBeTruthy();
    const table = within(figure).getByRole('table', { name: 'Revenue forecast, next 30 days' });
    expect(within(table).getAllByRole('row')).toHaveLength(1 + 60 + 30);
    expect(within(table).getAllByRole('row').at(-1)!.textContent).toBe('Apr 3, 2025—$960.00$768.00$1,152.00');

    expect(screen.getByText('Expected, next 30 days').nextElementSibling!.textContent).toBe('$28,800.00');
    expect(screen.getByText(/with the shaded band as the 80 % interval/)).toBeTruthy();

    await user.click(within(screen.getByRole('group', { name: 'Forecast metric' })).getByRole('button', { name: 'Orders' }));
    await user.click(within(screen.getByRole('group', { name: 'Forecast horizon' })).getByRole('button', { name: '90 days' }));
    expect(await screen.findByRole('figure', { name: 'Orders forecast, next 90 days' })).toBeTruthy();
    await waitFor(() => expect(screen.getByText('Expected, next 90 days').nextElementSibling!.textContent).toBe('2,970'));
    expect(screen.getByRole('button', { name: '90 days' }).getAttribute('aria-pressed')).toBe('true');
    expect(asked).toEqual(['revenue:30', 'orders:30', 'orders:90']);
  });

  it('explains when there is not enough history', async () => {
    server.use(
      http.get(`${FOUNDRY}/forecast`, () =>
        HttpResponse.json({ metric: 'revenue', horizon_days: 30, history: [], forecast: [], method: 'insufficient_history', interval: 0.8 }),
      ),
    );
    renderWithProviders(<ForecastPanel />);
    expect(await screen.findByText('Not enough history yet')).toBeTruthy();
  });

  it('joins the forecast line to the last actual day', () => {
    const rows = forecastRows(forecastOf('orders', 30));
    const last = rows[59]!;
    expect(last.actual).toBe(last.forecast);
    expect(last.band).toEqual([last.actual, last.actual]);
    expect(rows[60]).toEqual({ date: '2025-03-05', actual: null, forecast: 33, band: [26.400000000000002, 39.6] });
  });
});

describe('SegmentsPanel', () => {
  it('charts the shares of customers and revenue per segment and lists them', async () => {
    server.use(http.get(`${FOUNDRY}/segments`, () => HttpResponse.json(segments)));
    renderWithProviders(<SegmentsPanel />);

    const figure = await screen.findByRole('figure', { name: 'Customer segments: share of customers and of revenue' });
    // (happy-dom lays nothing out: the horizontal bars' labels leave them no width to draw in.)
    const chartRows = within(within(figure).getByRole('table')).getAllByRole('row');
    expect(chartRows.map((r) => r.textContent)).toEqual(['SegmentShare of customersShare of revenue', 'Champions15%45%', 'At risk25%10%']);

    const table = screen.getByRole('table', { name: 'Customer segments' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3); // the empty "Lost" segment is left out
    expect(rows[1]!.textContent).toContain('Champions');
    expect(rows[1]!.textContent).toContain('$54,000.00');
    expect(screen.getByText(/200 customers scored on recency, frequency and spend, as of Mar 4, 2025/)).toBeTruthy();
  });
});
