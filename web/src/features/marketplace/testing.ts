/** Fixtures and msw helpers shared by the Marketplace Intel tests (test-only). */
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import type { Role } from '../../api/types';
import { me, organization } from '../../test/fixtures';
import { server, tokens } from '../../test/server';
import type { Candidate, Competitor, Listing, Page, PriceAlert, Pricing, Product } from './types';

export const MARKET_URL = '*/api/modules/marketplace-intel';

let counter = 0;
const next = () => {
  counter += 1;
  return counter;
};

export function page<T>(items: T[], total = items.length, limit = 25, offset = 0): Page<T> {
  return { items, total, limit, offset };
}

/** Signed in as `role` of Acme, with the shell's calls answered. */
export function signedInAs(role: Role = 'admin') {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role } })),
    http.get('*/api/organization', () => HttpResponse.json(organization)),
  );
}

export function listing(overrides: Partial<Listing> = {}): Listing {
  const n = next();
  return {
    id: `listing-${n}`,
    url: `https://shop${n}.example.com/coffee`,
    marketplace: `shop${n}.example.com`,
    competitor_id: null,
    css_selector: null,
    render_js: false,
    steps: [],
    status: 'ok',
    status_detail: null,
    failures_in_row: 0,
    title: 'House blend, 1 kg',
    image: null,
    last_price: '20.00',
    last_currency: 'USD',
    last_availability: 'in_stock',
    last_checked_at: '2026-03-02T09:00:00Z',
    next_check_at: '2026-03-03T09:00:00Z',
    ...overrides,
  };
}

export function product(overrides: Partial<Product> = {}): Product {
  const n = next();
  return {
    id: `product-${n}`,
    name: `Product ${n}`,
    product_id: null,
    my_price: '25.00',
    currency: 'USD',
    category: null,
    status: 'active',
    check_every_minutes: 1440,
    alert_threshold_pct: null,
    alert_threshold_abs: null,
    alert_mode: 'immediate',
    last_checked_at: '2026-03-02T09:00:00Z',
    next_check_at: '2026-03-03T09:00:00Z',
    created_at: '2026-03-01T09:00:00Z',
    listings: [],
    market: { competitors_priced: 0 },
    ...overrides,
  };
}

export function competitor(overrides: Partial<Competitor> = {}): Competitor {
  const n = next();
  return {
    id: `competitor-${n}`,
    name: `Competitor ${n}`,
    website: null,
    description: null,
    category: null,
    location: null,
    latitude: null,
    longitude: null,
    phone: null,
    source: 'manual',
    is_active: true,
    created_at: '2026-03-01T09:00:00Z',
    updated_at: '2026-03-01T09:00:00Z',
    listings: 0,
    ...overrides,
  };
}

export function pricing(productId: string, overrides: Partial<Pricing> = {}): Pricing {
  return {
    product_id: productId,
    product: 'Product',
    position: 'no_data',
    rank: null,
    ranked: 0,
    my_price: null,
    currency: 'USD',
    market_median: null,
    market_price_index: null,
    market_min: null,
    market_max: null,
    comparisons: [],
    opportunities: [],
    recommendations: [],
    notes: [],
    ...overrides,
  };
}

export function priceAlert(overrides: Partial<PriceAlert> = {}): PriceAlert {
  const n = next();
  return {
    id: `alert-${n}`,
    product_id: 'product-x',
    listing_id: 'listing-x',
    kind: 'price.changed',
    old_price: '20.00',
    new_price: '18.00',
    currency: 'USD',
    change_pct: '-10.00',
    old_availability: 'in_stock',
    new_availability: 'in_stock',
    delivery: 'immediate',
    created_at: '2026-03-02T09:00:00Z',
    read_at: null,
    ...overrides,
  };
}

export function candidate(overrides: Partial<Candidate> = {}): Candidate {
  const n = next();
  return {
    id: `candidate-${n}`,
    name: `Candidate ${n}`,
    address: '1 Main St, Portland',
    website: null,
    phone: null,
    categories: ['coffee'],
    latitude: 45.52,
    longitude: -122.67,
    distance_m: 1609,
    rating: 4.5,
    review_count: 120,
    provider_ids: { google: `g-${n}` },
    score: 0.5,
    reasons: [],
    status: 'suggested',
    competitor_id: null,
    found_at: '2026-03-02T09:00:00Z',
    ...overrides,
  };
}

/** Empty answers for the lists every page may ask for (products, competitors, pricing, trends). */
export function serveEmptyMarket() {
  server.use(
    http.get(`${MARKET_URL}/products`, () => HttpResponse.json([])),
    http.get(`${MARKET_URL}/competitors`, () => HttpResponse.json([])),
    http.get(`${MARKET_URL}/pricing`, () => HttpResponse.json([])),
    http.get(`${MARKET_URL}/trends`, () => HttpResponse.json({ listings: [], market: null, market_currency: null, competitors: [], notes: [] })),
  );
}
