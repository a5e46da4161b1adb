import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { server } from '../../../test/server';
import { competitor, listing, MARKET_URL, pricing, product, signedInAs } from '../testing';
import type { History, Product } from '../types';

beforeAll(async () => {
  await import('./ProductDetailPage');
}, 30_000);

const slow = { timeout: 8000 };

function serveProduct() {
  const beanThere = competitor({ id: 'c1', name: 'Bean There' });
  const state = { checks: 0, checked: false };
  const base = product({
    id: 'p1',
    name: 'House blend 1 kg',
    my_price: '21.00',
    market: { competitors_priced: 2, median: '20.25', min: '18.50', max: '22.00', difference_pct: '3.7' },
    listings: [
      listing({ id: 'l1', competitor_id: 'c1', url: 'https://beanthere.example.com/house-blend', css_selector: '.price', last_price: '18.50', last_checked_at: '2026-03-05T10:00:00Z' }),
      listing({ id: 'l2', marketplace: 'amazon.com', url: 'https://amazon.com/dp/X', status: 'not_found', status_detail: 'HTTP 404', failures_in_row: 3, last_price: '22.00', last_checked_at: '2026-03-05T10:00:00Z' }),
    ],
  });
  // After "Check now", the next reads see the check's results (a new price for Bean There).
  const current = (): Product =>
    state.checked
      ? {
          ...base,
          last_checked_at: '2026-03-06T08:00:00Z',
          listings: base.listings!.map((l) => ({ ...l, last_checked_at: '2026-03-06T08:00:00Z', ...(l.id === 'l1' ? { last_price: '17.99' } : {}) })),
        }
      : base;
  const history = (): History => ({
    product_id: 'p1',
    listings: current().listings!,
    points: [
      { listing_id: 'l1', price: '19.99', currency: 'USD', availability: 'in_stock', checked_at: '2026-03-01T10:00:00Z', kind: 'first' },
      { listing_id: 'l2', price: '22.00', currency: 'USD', availability: 'in_stock', checked_at: '2026-03-01T11:00:00Z', kind: 'first' },
      { listing_id: 'l1', price: '18.50', currency: 'USD', availability: 'in_stock', checked_at: '2026-03-05T10:00:00Z', kind: 'change' },
      ...(state.checked ? [{ listing_id: 'l1', price: '17.99', currency: 'USD', availability: 'in_stock', checked_at: '2026-03-06T08:00:00Z', kind: 'change' }] : []),
    ],
    checks: [
      { listing_id: 'l2', outcome: 'not_found', detail: 'HTTP 404', http_status: 404, elapsed_ms: 120, checked_at: '2026-03-05T10:00:00Z' },
      { listing_id: 'l1', outcome: 'ok', detail: null, http_status: 200, elapsed_ms: 95, checked_at: '2026-03-05T10:00:00Z' },
    ],
  });
  server.use(
    http.get(`${MARKET_URL}/competitors`, () => HttpResponse.json([beanThere])),
    http.get(`${MARKET_URL}/products/p1`, () => HttpResponse.json(current())),
    http.get(`${MARKET_URL}/products/p1/history`, () => HttpResponse.json(history())),
    http.post(`${MARKET_URL}/products/p1/check`, () => {
      state.checks += 1;
      setTimeout(() => {
        state.checked = true;
      }, 200);
      return HttpResponse.json({ product_id: 'p1', listings: 2 }, { status: 202 });
    }),
    http.get(`${MARKET_URL}/pricing`, ({ request }) => {
      expect(new URL(request.url).searchParams.get('product_id')).toBe('p1');
      return HttpResponse.json([
        pricing('p1', {
          position: 'median',
          rank: 2,
          ranked: 2,
          my_price: '21.00',
          market_median: '18.50',
          market_price_index: '113.5',
          market_min: '18.50',
          market_max: '18.50',
          comparisons: [
            { listing_id: 'l1', competitor: 'Bean There', price: '18.50', currency: 'USD', in_stock: true, comparable: true, difference_pct: '13.5', difference: '2.50', cheaper: 'competitor' },
            { listing_id: 'l2', competitor: 'amazon.com', price: '22.00', currency: 'USD', in_stock: false, comparable: true, difference_pct: '-4.5', difference: '-1.00', cheaper: 'me' },
          ],
          opportunities: [{ kind: 'above_market', detail: 'Your price is 13.5% above the market median of $18.50.', amount: '2.50', currency: 'USD', competitor: null }],
          recommendations: ['You are 13.5% above the market. Lower to $18.50 to match the median.'],
        }),
      ]);
    }),
    http.get(`${MARKET_URL}/trends`, () =>
      HttpResponse.json({
        listings: [
          {
            listing_id: 'l1',
            competitor: 'Bean There',
            currency: 'USD',
            change_count: 1,
            changes_per_30_days: '6.0',
            daily: [
              { date: '2026-03-04', value: '19.99' },
              { date: '2026-03-05', value: '18.50' },
            ],
            moving_averages: { '7': [] },
            volatility_pct: null,
            min: { date: '2026-03-05', value: '18.50' },
            max: { date: '2026-03-04', value: '19.99' },
            seasonality: { by_weekday: null, by_month: null, notes: [] },
          },
        ],
        market: {
          daily: [
            { date: '2026-03-04', value: '20.99' },
            { date: '2026-03-05', value: '20.25' },
          ],
          moving_averages: { '7': [] },
          volatility_pct: '3.52',
          min: { date: '2026-03-05', value: '20.25' },
          max: { date: '2026-03-04', value: '20.99' },
          seasonality: { by_weekday: null, by_month: null, notes: ['A weekday pattern needs at least 8 weeks of data; there are 2 day(s).'] },
        },
        market_currency: 'USD',
        competitors: [{ competitor: 'Bean There', listings: 1, change_count: 1, changes_per_30_days: '6.0' }],
        notes: [],
      }),
    ),
  );
  return state;
}

describe('Product page', { timeout: 20_000 }, () => {
  it('charts each listing’s prices against mine, shows listing health, pricing and trends', async () => {
    signedInAs('member');
    serveProduct();
    renderApp('/marketplace/products/p1');

    expect(await screen.findByRole('heading', { name: 'House blend 1 kg', level: 1 }, slow)).toBeTruthy();
    const chart = await screen.findByRole('figure', { name: 'Price history of House blend 1 kg' });
    const data = within(chart).getByRole('table');
    const headers = within(data).getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['Date', 'Bean There', 'amazon.com', 'My price']);
    // Per day, each listing's last price carried forward; my price as the reference line.
    const rows = within(data).getAllByRole('row').slice(1).map((row) => within(row).getAllByRole('cell').map((c) => c.textContent));
    expect(rows).toEqual([
      ['$19.99', '$22.00', '$21.00'],
      ['$18.50', '$22.00', '$21.00'],
    ]);

    const health = screen.getByRole('table', { name: 'Listing health' });
    const amazon = within(health).getByText('amazon.com').closest('tr')!;
    expect(within(amazon).getByText('Page not found')).toBeTruthy();
    expect(within(amazon).getByText('HTTP 404')).toBeTruthy();
    expect(within(amazon).getByText('3')).toBeTruthy();
    const recent = screen.getByRole('table', { name: 'Recent checks' });
    expect(within(within(recent).getByText('amazon.com').closest('tr')!).getByText('404')).toBeTruthy();

    const comparison = await screen.findByRole('table', { name: 'Competitor comparison' });
    expect(within(within(comparison).getByText('Bean There').closest('tr')!).getByText('+13.5%')).toBeTruthy();
    expect(within(within(comparison).getByText('amazon.com').closest('tr')!).getByText('Out of stock')).toBeTruthy();
    expect(screen.getByText('Mid-market')).toBeTruthy();
    expect(screen.getByText('113.5')).toBeTruthy();
    expect(within(screen.getByRole('region', { name: 'Recommendations' })).getByText('You are 13.5% above the market. Lower to $18.50 to match the median.')).toBeTruthy();
    expect(within(screen.getByRole('region', { name: 'Opportunities' })).getByText('Above market')).toBeTruthy();

    const trends = await screen.findByRole('table', { name: 'Listing trends' });
    expect(within(trends).getByText('$18.50 on Mar 5, 2026')).toBeTruthy();
    expect(screen.getByText('3.52%')).toBeTruthy();
    const activity = screen.getByRole('table', { name: 'How often competitors change prices' });
    expect(within(activity).getByText('6.0')).toBeTruthy();
    expect(screen.getByRole('figure', { name: 'Market average and moving averages' })).toBeTruthy();
  });

  it('“Check now” queues the check and follows it until the new prices are in', async () => {
    signedInAs('member');
    const state = serveProduct();
    const user = userEvent.setup({ delay: null });
    renderApp('/marketplace/products/p1');

    const health = await screen.findByRole('table', { name: 'Listing health' }, slow);
    const bean = () => within(health).getByText('Bean There').closest('tr')!;
    expect(within(bean()).getByTestId('listing-price').textContent).toBe('$18.50');
    await user.click(screen.getByRole('button', { name: 'Check now' }));
    await waitFor(() => expect(state.checks).toBe(1));
    expect(await screen.findByText(/Checking 2 listings/)).toBeTruthy();

    expect(await screen.findByText('Checked just now: the prices below are the latest.', {}, slow)).toBeTruthy();
    expect(within(bean()).getByTestId('listing-price').textContent).toBe('$17.99');
    const chart = screen.getByRole('figure', { name: 'Price history of House blend 1 kg' });
    await waitFor(() => expect(within(chart).getAllByText('$17.99').length).toBeGreaterThan(0));
    expect(state.checks).toBe(1);
  });

  it('edits the product (listings kept, with their settings) and deletes it', async () => {
    signedInAs('admin');
    serveProduct();
    const puts: Record<string, unknown>[] = [];
    const deleted: string[] = [];
    server.use(
      http.put(`${MARKET_URL}/products/p1`, async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        puts.push(body);
        return HttpResponse.json(product({ id: 'p1', name: String(body.name), my_price: String(body.my_price) }));
      }),
      http.delete(`${MARKET_URL}/products/p1`, () => {
        deleted.push('p1');
        return new HttpResponse(null, { status: 204 });
      }),
      http.get(`${MARKET_URL}/products`, () => HttpResponse.json([])),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/marketplace/products/p1');

    await user.click(await screen.findByRole('button', { name: 'Edit' }, slow));
    const form = screen.getByRole('form', { name: 'Edit House blend 1 kg' });
    expect(within(within(form).getByRole('group', { name: 'Listing 2' })).getByLabelText('Page URL')).toHaveProperty('value', 'https://amazon.com/dp/X');
    const price = within(form).getByLabelText('My price');
    await user.clear(price);
    await user.type(price, '19.50');
    await user.click(within(form).getByRole('button', { name: 'Remove listing 2' }));
    await user.click(within(form).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(screen.queryByRole('form', { name: 'Edit House blend 1 kg' })).toBeNull());
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ name: 'House blend 1 kg', my_price: '19.50', currency: 'USD', alert_mode: 'immediate' });
    expect(puts[0]!.listings).toEqual([{ url: 'https://beanthere.example.com/house-blend', competitor_id: 'c1', css_selector: '.price', render_js: false, steps: [] }]);

    await user.click(screen.getByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('dialog', { name: 'Stop tracking House blend 1 kg?' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete product' }));
    expect(await screen.findByText('No products tracked yet', {}, slow)).toBeTruthy();
    expect(deleted).toEqual(['p1']);
  });
});
