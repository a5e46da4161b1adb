/** How Marketplace Intel says things: money, percentages, positions, listing states and alert kinds. */
import type { Competitor, Listing, Position } from './types';

type Tone = 'neutral' | 'brand' | 'success' | 'warning' | 'danger';

/** Amounts arrive as decimal strings; null when there is nothing (or nothing numeric) to show. */
export function toNumber(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : null;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string): Intl.NumberFormat | null {
  const code = currency.trim().toUpperCase();
  if (!moneyFormats.has(code)) {
    try {
      moneyFormats.set(code, new Intl.NumberFormat(undefined, { style: 'currency', currency: code, minimumFractionDigits: 2, maximumFractionDigits: 2 }));
    } catch {
      return null; // not a currency the browser knows: the amount is shown with its code instead
    }
  }
  return moneyFormats.get(code) ?? null;
}

/** "$19.99"; "19.99 XYZ" for a code the browser does not know; "—" for no amount. */
export function formatMoney(value: string | number | null | undefined, currency: string | null | undefined): string {
  const amount = toNumber(value);
  if (amount === null) return '—';
  const format = currency ? moneyFormat(currency) : null;
  if (format) return format.format(amount);
  const plain = amount.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return currency ? `${plain} ${currency}` : plain;
}

/** A signed change: "+12.5%", "−4.0%" (a real minus sign), "0.0%". */
export function formatPercent(value: string | number | null | undefined, digits = 1): string {
  const number = toNumber(value);
  if (number === null) return '—';
  const magnitude = Math.abs(number).toFixed(digits);
  if (Number(magnitude) === 0) return `${magnitude}%`;
  return `${number > 0 ? '+' : '−'}${magnitude}%`;
}

/** Colour of my price's difference: dearer than the market is a warning, cheaper is good. */
export function differenceTone(value: string | number | null | undefined): string {
  const number = toNumber(value);
  if (number === null || Math.abs(number) < 0.05) return 'text-slate-600';
  if (number > 10) return 'text-red-700';
  return number > 0 ? 'text-amber-700' : 'text-emerald-700';
}

/** What a difference means, for screen readers and titles. */
export function differenceMeaning(value: string | number | null | undefined, against = 'the market median'): string {
  const number = toNumber(value);
  if (number === null) return 'No comparison yet';
  if (Math.abs(number) < 0.05) return `At ${against}`;
  return `${Math.abs(number).toFixed(1)}% ${number > 0 ? 'above' : 'below'} ${against}`;
}

export const POSITION_LABELS: Record<Position, string> = {
  cheapest: 'Cheapest',
  median: 'Mid-market',
  most_expensive: 'Most expensive',
  only_one: 'Only one in stock',
  no_data: 'No data yet',
};

export const POSITION_TONES: Record<Position, Tone> = {
  cheapest: 'success',
  median: 'brand',
  most_expensive: 'danger',
  only_one: 'success',
  no_data: 'neutral',
};

export const LISTING_STATUS_LABELS: Record<string, string> = {
  pending: 'Not checked yet',
  ok: 'OK',
  blocked: 'Blocked',
  not_found: 'Page not found',
  extraction_failed: 'No price found',
  error: 'Error',
};

export function listingStatusTone(status: string): Tone {
  if (status === 'ok') return 'success';
  if (status === 'pending') return 'neutral';
  if (status === 'blocked') return 'warning';
  return 'danger';
}

/** Outcomes of one page read (fetcher, renderer, extractor). */
export const OUTCOME_LABELS: Record<string, string> = {
  ok: 'Price read',
  extraction_failed: 'No price found',
  blocked_by_robots: 'Blocked by robots.txt',
  rate_limited: 'Rate limited',
  refused_private: 'Private address refused',
  not_found: 'Page not found',
  http_error: 'HTTP error',
  timeout: 'Timed out',
  network_error: 'Network error',
  too_large: 'Page too large',
  not_html: 'Not a web page',
  navigation_error: 'Could not open the page',
  error: 'Error',
};

export const ALERT_KIND_LABELS: Record<string, string> = {
  'price.changed': 'Price changed',
  'price.dropped': 'Price dropped',
  'availability.changed': 'Availability changed',
};

export const METHOD_LABELS: Record<string, string> = {
  selector: 'Your CSS selector',
  'json-ld': 'Structured data (JSON-LD)',
  microdata: 'Structured data (microdata)',
  opengraph: 'Open Graph tags',
  meta: 'Meta tags',
  dom: 'Page layout',
};

export const PROVIDER_LABELS: Record<string, string> = { google: 'Google Places', yelp: 'Yelp' };

export const SOURCE_LABELS: Record<string, string> = { manual: 'Manual', discovered: 'Discovered' };

/** `labels[key]`, else the key made readable ("out_of_stock" → "Out of stock"). */
export function label(labels: Record<string, string>, key: string | null | undefined): string {
  if (!key) return '—';
  return labels[key] ?? humanize(key);
}

export function humanize(key: string): string {
  const words = key.replace(/^https?:\/\/schema\.org\//i, '').replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_.-]+/g, ' ').trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "InStock", "https://schema.org/OutOfStock", "out_of_stock" → "In stock", "Out of stock". */
export function formatAvailability(value: string | null | undefined): string {
  return value ? humanize(value) : 'Unknown';
}

/** How a listing is named: its competitor, else the marketplace (host), else the URL. */
export function listingName(listing: Pick<Listing, 'competitor_id' | 'marketplace' | 'url'>, competitors: ReadonlyMap<string, Competitor>): string {
  const competitor = listing.competitor_id ? competitors.get(listing.competitor_id) : undefined;
  if (competitor) return competitor.name;
  if (listing.marketplace) return listing.marketplace;
  try {
    return new URL(listing.url).host;
  } catch {
    return listing.url;
  }
}

/** Each listing's name, made unique ("Shop A", "Shop A (2)") so chart series and tables tell them apart. */
export function listingNames(listings: Listing[], competitors: ReadonlyMap<string, Competitor>): Map<string, string> {
  const seen = new Map<string, number>();
  const names = new Map<string, string>();
  for (const listing of listings) {
    const base = listingName(listing, competitors);
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    names.set(listing.id, count === 1 ? base : `${base} (${count})`);
  }
  return names;
}

export const MILES_PER_KM = 0.621371;

export function formatDistance(meters: number | null | undefined): string {
  if (meters === null || meters === undefined) return '—';
  const miles = (meters / 1000) * MILES_PER_KM;
  return `${miles < 10 ? miles.toFixed(1) : Math.round(miles)} mi`;
}

export const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'NZD', 'CHF', 'JPY', 'SEK', 'NOK', 'DKK', 'PLN', 'MXN', 'BRL', 'INR', 'SGD', 'HKD', 'ZAR'];
