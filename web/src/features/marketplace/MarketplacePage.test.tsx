import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { organization } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { server } from '../../test/server';
import { competitor, listing, MARKET_URL, page, priceAlert, product, serveEmptyMarket, signedInAs } from './testing';
import type { Competitor, PriceAlert } from './types';

const slow = { timeout: 8000 };

describe('Marketplace Intel', { timeout: 20_000 }, () => {
  it('lists price alerts with old → new and the change, and marks one read', async () => {
    signedInAs('member');
    serveEmptyMarket();
    const mug = product({ id: 'p1', name: 'Travel mug', listings: [listing({ id: 'l1', competitor_id: 'c1' })] });
    const alerts: PriceAlert[] = [
      priceAlert({ id: 'a1', product_id: 'p1', listing_id: 'l1', kind: 'price.dropped', old_price: '20.00', new_price: '18.00', change_pct: '-10.00' }),
      priceAlert({
        id: 'a2',
        product_id: 'p1',
        listing_id: 'l1',
        kind: 'availability.changed',
        old_price: '18.00',
        new_price: '18.00',
        change_pct: null,
        old_availability: 'in_stock',
        new_availability: 'out_of_stock',
        read_at: '2026-03-02T10:00:00Z',
      }),
    ];
    const read: string[] = [];
    server.use(
      http.get(`${MARKET_URL}/products`, () => HttpResponse.json([mug])),
      http.get(`${MARKET_URL}/competitors`, () => HttpResponse.json([competitor({ id: 'c1', name: 'Bean There' })])),
      http.get(`${MARKET_URL}/alerts`, () => HttpResponse.json(page(alerts))),
      http.post(`${MARKET_URL}/alerts/:id/read`, ({ params }) => {
        read.push(String(params.id));
        alerts[0] = { ...alerts[0]!, read_at: '2026-03-03T09:00:00Z' };
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/marketplace/alerts');

    const list = await screen.findByRole('list', { name: 'Price alerts' }, slow);
    const drop = await within(list).findByRole('listitem', { name: 'Price dropped: Travel mug at Bean There' });
    expect(drop.textContent).toContain('$20.00 → $18.00');
    expect(within(drop).getByText('−10.00%').className).toContain('text-red-700');
    const stock = within(list).getByRole('listitem', { name: 'Availability changed: Travel mug at Bean There' });
    expect(stock.textContent).toContain('In stock → Out of stock');
    expect(within(stock).queryByRole('button', { name: /Mark read/ })).toBeNull();
    await user.click(within(drop).getByRole('button', { name: 'Mark read: Price dropped: Travel mug at Bean There' }));
    await waitFor(() => expect(within(drop).queryByRole('button', { name: /Mark read/ })).toBeNull());
    expect(read).toEqual(['a1']);
    expect(screen.getByRole('navigation', { name: 'Marketplace Intel' }).querySelector('[aria-current="page"]')?.textContent).toBe('Alerts');
  });

  it('lists competitors with their source and listings, adds one and opens a profile', async () => {
    signedInAs('admin');
    serveEmptyMarket();
    const competitors: Competitor[] = [competitor({ id: 'c1', name: 'Roast Co', source: 'discovered', website: 'https://roast.example.com/', listings: 2, location: '1 Main St' })];
    const posted: unknown[] = [];
    server.use(
      http.get(`${MARKET_URL}/competitors`, () => HttpResponse.json(competitors)),
      http.get(`${MARKET_URL}/competitors/:id`, ({ params }) => HttpResponse.json(competitors.find((c) => c.id === params.id))),
      http.post(`${MARKET_URL}/competitors`, async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        posted.push(body);
        const created = competitor({ id: 'c2', name: String(body.name), website: body.website as string | null });
        competitors.push(created);
        return HttpResponse.json(created, { status: 201 });
      }),
      http.get(`${MARKET_URL}/products`, () =>
        HttpResponse.json([product({ id: 'p1', name: 'House blend', listings: [listing({ id: 'l1', competitor_id: 'c1', last_price: '19.99' })] })]),
      ),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/marketplace/competitors');

    const table = await screen.findByRole('table', { name: 'Competitors' }, slow);
    const row = within(table).getByRole('link', { name: 'Roast Co' }).closest('tr')!;
    expect(within(row).getByText('Discovered')).toBeTruthy();
    expect(within(row).getByText('2')).toBeTruthy();
    expect(within(row).getByText('1 Main St')).toBeTruthy();

    const form = screen.getByRole('form', { name: 'Add a competitor' });
    await user.type(within(form).getByLabelText('Name'), 'Bean There');
    await user.type(within(form).getByLabelText('Website (optional)'), 'beanthere');
    await user.click(within(form).getByRole('button', { name: 'Add competitor' }));
    expect(within(form).getByText('Enter a full web address, starting with https://.')).toBeTruthy();
    await user.clear(within(form).getByLabelText('Website (optional)'));
    await user.type(within(form).getByLabelText('Website (optional)'), 'https://beanthere.example.com/');
    await user.click(within(form).getByRole('button', { name: 'Add competitor' }));
    expect(await screen.findByText('Added Bean There.')).toBeTruthy();
    expect(posted).toEqual([{ name: 'Bean There', website: 'https://beanthere.example.com/', category: null, location: null, description: null, is_active: true }]);
    expect(await within(table).findByRole('link', { name: 'Bean There' })).toBeTruthy();

    await user.click(within(table).getByRole('link', { name: 'Roast Co' }));
    expect(await screen.findByRole('heading', { name: 'Roast Co', level: 1 }, slow)).toBeTruthy();
    const listings = await screen.findByRole('table', { name: 'Listings of Roast Co' });
    expect(within(listings).getByRole('link', { name: 'House blend' })).toBeTruthy();
    expect(within(listings).getByText('$19.99')).toBeTruthy();
    expect(screen.getByRole('navigation', { name: 'Marketplace Intel' }).querySelector('[aria-current="page"]')?.textContent).toBe('Competitors');
  });

  it('says so when the organization turned Marketplace Intel off', async () => {
    signedInAs('admin');
    serveEmptyMarket();
    server.use(
      http.get('*/api/organization', () => HttpResponse.json({ ...organization, modules: ['ops-copilot'] })),
      // The page may start loading before the organization says the module is off.
      http.get(`${MARKET_URL}/alerts`, () => HttpResponse.json(page([]))),
    );
    renderApp('/marketplace/alerts');
    expect(await screen.findByText('Marketplace Intel is turned off for Acme Ltd', {}, slow)).toBeTruthy();
    expect(screen.queryByRole('navigation', { name: 'Marketplace Intel' })).toBeNull();
  });
});
