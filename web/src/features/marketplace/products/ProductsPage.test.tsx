import { beforeAll, describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { problem, server } from '../../../test/server';
import { competitor, listing, MARKET_URL, pricing, product, serveEmptyMarket, signedInAs } from '../testing';
import type { Product } from '../types';

beforeAll(async () => {
  await Promise.all([import('./ProductsPage'), import('./ProductDetailPage')]);
}, 30_000);

const slow = { timeout: 8000 };

describe('Products', { timeout: 20_000 }, () => {
  it('lists each product against its market: difference, position, trend and listing health', async () => {
    signedInAs('member');
    const dearer = product({
      id: 'p1',
      name: 'House blend 1 kg',
      my_price: '24.00',
      market: { competitors_priced: 2, median: '20.00', min: '18.00', max: '22.00', difference_pct: '20.0' },
      listings: [listing({ id: 'l1' }), listing({ id: 'l2', status: 'not_found', failures_in_row: 2 })],
    });
    const cheaper = product({
      id: 'p2',
      name: 'Espresso 250 g',
      my_price: '9.50',
      market: { competitors_priced: 1, median: '10.00', min: '10.00', max: '10.00', difference_pct: '-5.0' },
      listings: [listing({ id: 'l3', status: 'pending', last_price: null, last_checked_at: null })],
      last_checked_at: null,
    });
    serveEmptyMarket();
    server.use(
      http.get(`${MARKET_URL}/products`, () => HttpResponse.json([dearer, cheaper])),
      http.get(`${MARKET_URL}/pricing`, () =>
        HttpResponse.json([
          pricing('p1', { position: 'most_expensive', rank: 3, ranked: 3 }),
          pricing('p2', { position: 'cheapest', rank: 1, ranked: 2 }),
        ]),
      ),
      // The plain-dataclass shape (nested series, points keyed `day`): read the same as the as_dict one.
      http.get(`${MARKET_URL}/trends`, () =>
        HttpResponse.json({
          listings: [
            {
              listing_id: 'l1',
              competitor: 'Bean There',
              currency: 'USD',
              series: {
                daily: [
                  { day: '2026-03-01', value: '20.00' },
                  { day: '2026-03-02', value: '21.00' },
                  { day: '2026-03-03', value: '22.00' },
                ],
                moving_averages: {},
                volatility_pct: null,
                minimum: { day: '2026-03-01', value: '20.00' },
                maximum: { day: '2026-03-03', value: '22.00' },
                seasonality: { by_weekday: null, by_month: null, notes: [] },
              },
              change_count: 2,
              changes_per_30_days: '20.0',
            },
          ],
          market: null,
          market_currency: 'USD',
          competitors: [],
          notes: [],
        }),
      ),
    );
    renderApp('/marketplace');

    const table = await screen.findByRole('table', { name: 'Tracked products' }, slow);
    const dearRow = within(table).getByRole('link', { name: 'House blend 1 kg' }).closest('tr')!;
    expect(within(dearRow).getByText('$24.00')).toBeTruthy();
    expect(within(dearRow).getByText('$20.00')).toBeTruthy();
    const up = within(dearRow).getByText('+20.0%');
    expect(up.className).toContain('text-red-700');
    expect(up.textContent).toContain('20.0% above the market median');
    expect(await within(dearRow).findByText('Most expensive')).toBeTruthy();
    expect(within(dearRow).getByText('#3 of 3')).toBeTruthy();
    expect(within(dearRow).getByText('1 OK')).toBeTruthy();
    expect(within(dearRow).getByText('1 failing')).toBeTruthy();
    // The sparkline's figure: +10% from $20 to $22 over three days.
    expect(await within(dearRow).findByText('+10.0%')).toBeTruthy();

    const cheapRow = within(table).getByRole('link', { name: 'Espresso 250 g' }).closest('tr')!;
    const down = within(cheapRow).getByText('−5.0%');
    expect(down.className).toContain('text-emerald-700');
    expect(within(cheapRow).getByText('Cheapest')).toBeTruthy();
    expect(within(cheapRow).getByText('1 waiting')).toBeTruthy();
    expect(within(cheapRow).getByText('Not enough history')).toBeTruthy();
    expect(within(cheapRow).getByText('Not yet')).toBeTruthy();
    expect(screen.getByRole('navigation', { name: 'Marketplace Intel' }).querySelector('[aria-current="page"]')?.textContent).toBe('Products');
  });

  it('previews a competitor page, then tracks the product with that listing', async () => {
    signedInAs('admin');
    serveEmptyMarket();
    const previews: unknown[] = [];
    const created: Record<string, unknown>[] = [];
    const beanThere = competitor({ id: 'c1', name: 'Bean There' });
    let saved: Product | null = null;
    server.use(
      http.get(`${MARKET_URL}/products`, () => HttpResponse.json(saved ? [saved] : [])),
      http.get(`${MARKET_URL}/competitors`, () => HttpResponse.json([beanThere])),
      http.post(`${MARKET_URL}/products/preview`, async ({ request }) => {
        previews.push(await request.json());
        return HttpResponse.json({
          url: 'https://beanthere.example.com/house-blend',
          title: 'House blend, 1 kg',
          price: '19.99',
          currency: 'USD',
          availability: 'in_stock',
          sku: 'HB-1000',
          brand: null,
          image: 'https://beanthere.example.com/hb.jpg',
          method: 'json-ld',
          confidence: 0.95,
          outcome: 'ok',
          detail: null,
        });
      }),
      http.post(`${MARKET_URL}/products`, async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        created.push(body);
        saved = product({ id: 'p-new', name: String(body.name), my_price: '24.99', listings: [listing({ id: 'l-new', competitor_id: 'c1', status: 'pending', last_price: null })] });
        return HttpResponse.json(saved, { status: 201 });
      }),
      http.get(`${MARKET_URL}/products/:id`, () => HttpResponse.json(saved)),
      http.get(`${MARKET_URL}/products/:id/history`, () => HttpResponse.json({ product_id: 'p-new', listings: [], points: [], checks: [] })),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/marketplace');

    expect(await screen.findByText('No products tracked yet', {}, slow)).toBeTruthy();
    const form = screen.getByRole('form', { name: 'Track a product' });
    await user.type(within(form).getByLabelText('Product name'), 'House blend 1 kg');
    await user.type(within(form).getByLabelText('My price'), '24.99');
    await user.type(within(form).getByLabelText('Alert when a price moves by (%)'), '5');
    await user.selectOptions(within(form).getByLabelText('Send alerts'), 'digest');
    const first = within(form).getByRole('group', { name: 'Listing 1' });
    await user.type(within(first).getByLabelText('Page URL'), 'https://beanthere.example.com/house-blend');
    await user.selectOptions(within(first).getByLabelText('Competitor'), 'c1');
    await user.click(within(first).getByRole('button', { name: 'Preview listing 1' }));

    const result = await within(first).findByRole('region', { name: 'Preview of https://beanthere.example.com/house-blend' });
    expect(await within(result).findByText('$19.99')).toBeTruthy();
    expect(within(result).getByText('House blend, 1 kg')).toBeTruthy();
    expect(within(result).getByText('In stock')).toBeTruthy();
    expect(within(result).getByText('Structured data (JSON-LD)')).toBeTruthy();
    expect(within(result).getByText('95%')).toBeTruthy();
    expect(within(result).getByRole('img', { name: 'House blend, 1 kg' })).toBeTruthy();
    expect(previews).toEqual([{ url: 'https://beanthere.example.com/house-blend', css_selector: null, render_js: false }]);

    // Changing an option marks the preview out of date.
    await user.click(within(first).getByLabelText('Needs JavaScript'));
    expect(within(result).getByText(/changed since this preview/)).toBeTruthy();

    await user.click(within(form).getByRole('button', { name: 'Start tracking' }));
    expect(await screen.findByRole('heading', { name: 'House blend 1 kg', level: 1 }, slow)).toBeTruthy();
    expect(created).toEqual([
      {
        name: 'House blend 1 kg',
        my_price: '24.99',
        currency: 'USD',
        category: null,
        status: 'active',
        alert_threshold_pct: '5',
        alert_threshold_abs: null,
        alert_mode: 'digest',
        listings: [{ url: 'https://beanthere.example.com/house-blend', competitor_id: 'c1', css_selector: null, render_js: true, steps: [] }],
      },
    ]);
  });

  it('says why a page could not be read, and puts the server’s listing errors on their listing', async () => {
    signedInAs('admin');
    serveEmptyMarket();
    const created: unknown[] = [];
    server.use(
      http.post(`${MARKET_URL}/products/preview`, () =>
        HttpResponse.json({
          url: 'https://shop.example.com/x',
          title: 'Some page',
          price: null,
          currency: null,
          availability: null,
          sku: null,
          brand: null,
          image: null,
          method: null,
          confidence: 0,
          outcome: 'extraction_failed',
          detail: 'No price found on the page.',
        }),
      ),
      http.post(`${MARKET_URL}/products`, async ({ request }) => {
        created.push(await request.json());
        return problem(422, 'VALIDATION_ERROR', 'Validation failed', 'The request is not valid.', {
          errors: [{ loc: ['body', 'listings', 1, 'url'], msg: 'URL scheme should be http or https.', type: 'url_parsing' }],
        });
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/marketplace');

    const form = await screen.findByRole('form', { name: 'Track a product' }, slow);
    await user.click(within(form).getByRole('button', { name: 'Start tracking' }));
    expect(within(form).getByText('Enter the product’s name.')).toBeTruthy();
    expect(created).toEqual([]);

    await user.type(within(form).getByLabelText('Product name'), 'Mug');
    const first = within(form).getByRole('group', { name: 'Listing 1' });
    await user.type(within(first).getByLabelText('Page URL'), 'not a url');
    await user.click(within(first).getByRole('button', { name: 'Preview listing 1' }));
    expect(within(first).getByText('Enter a full web address, starting with https://.')).toBeTruthy();
    await user.clear(within(first).getByLabelText('Page URL'));
    await user.type(within(first).getByLabelText('Page URL'), 'https://shop.example.com/x');
    await user.click(within(first).getByRole('button', { name: 'Preview listing 1' }));
    const result = await within(first).findByRole('region', { name: 'Preview of https://shop.example.com/x' });
    expect(await within(result).findByText('No price found')).toBeTruthy();
    expect(within(result).getByText('No price found on the page.')).toBeTruthy();

    await user.click(within(form).getByRole('button', { name: 'Add a listing' }));
    const second = within(form).getByRole('group', { name: 'Listing 2' });
    await user.type(within(second).getByLabelText('Page URL'), 'https://other.example.com/mug');
    await user.click(within(form).getByRole('button', { name: 'Start tracking' }));
    expect(await within(second).findByText('URL scheme should be http or https.')).toBeTruthy();
    expect(within(second).getByLabelText('Page URL').getAttribute('aria-invalid')).toBe('true');
    expect(within(first).queryByText('URL scheme should be http or https.')).toBeNull();
    expect(created).toHaveLength(1);
  });
});
