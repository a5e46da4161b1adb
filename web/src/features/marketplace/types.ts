/**
 * Marketplace Intel shapes: the generated API types, plus typed views of what the API returns as free
 * JSON (a product's market summary, recent checks, pricing position and trends). Pricing and trends come
 * from the analytics dataclasses; `toTrends` reads both the `as_dict` shape and the plain-dataclass one
 * (nested `series`, `minimum`/`maximum`, points keyed `day`), so the pages do not depend on which one
 * the service serialises.
 */
import type { components } from '../../api/schema';

type Schemas = components['schemas'];

export type Competitor = Schemas['CompetitorOut'];
export type CompetitorIn = Schemas['CompetitorIn'];
export type Product = Schemas['TrackedProductOut'];
export type ProductIn = Schemas['TrackedProductIn'];
export type ProductPatch = Schemas['TrackedProductPatch'];
export type Listing = Schemas['ListingOut'];
export type ListingIn = Schemas['ListingIn'];
export type Preview = Schemas['PreviewOut'];
export type PreviewIn = Schemas['PreviewIn'];
export type History = Schemas['HistoryOut'];
export type HistoryPoint = Schemas['HistoryPoint'];
export type CheckAccepted = Schemas['CheckAccepted'];
export type PriceAlert = Schemas['PriceAlertOut'];
export type Profile = Schemas['ProfileOut'];
export type ProfileIn = Schemas['ProfileIn'];
export type ProviderKey = Schemas['ProviderKeyOut'];
export type DiscoverIn = Schemas['DiscoverIn'];
export type Discovery = Schemas['DiscoverOut'];
export type Candidate = Schemas['CandidateOut'];

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export const PROVIDERS = ['google', 'yelp'] as const;
export type Provider = (typeof PROVIDERS)[number];
export type AlertMode = ProductIn['alert_mode'];

/** A product's `market`: where the competitors' latest prices stand (amounts are decimal strings). */
export interface Market {
  competitors_priced: number;
  median?: string;
  min?: string;
  max?: string;
  /** (mine − median) / median × 100, one decimal; positive: I am dearer. */
  difference_pct?: string;
}

export function marketOf(product: Product): Market {
  const market = (product.market ?? {}) as Partial<Market>;
  return { ...market, competitors_priced: Number(market.competitors_priced ?? 0) };
}

/** One row of a product history's `checks`: every check of a listing, failures included. */
export interface ListingCheck {
  listing_id: string;
  outcome: string;
  detail: string | null;
  http_status: number | null;
  elapsed_ms: number | null;
  checked_at: string;
}

// -- pricing position ----------------------------------------------------------------------------

export type Position = 'cheapest' | 'median' | 'most_expensive' | 'only_one' | 'no_data';

export interface Comparison {
  listing_id: string;
  competitor: string | null;
  price: string;
  currency: string;
  in_stock: boolean;
  comparable: boolean;
  difference_pct: string | null;
  difference: string | null;
  cheaper: 'me' | 'competitor' | 'same' | null;
}

export interface Opportunity {
  kind: 'above_market' | 'far_below_market' | 'undercut' | 'competitor_out_of_stock';
  detail: string;
  amount: string | null;
  currency: string | null;
  competitor: string | null;
}

export interface Pricing {
  product_id: string;
  product: string;
  position: Position;
  rank: number | null;
  ranked: number;
  my_price: string | null;
  currency: string;
  market_median: string | null;
  market_price_index: string | null;
  market_min: string | null;
  market_max: string | null;
  comparisons: Comparison[];
  opportunities: Opportunity[];
  recommendations: string[];
  notes: string[];
}

// -- trends --------------------------------------------------------------------------------------

export interface DailyPoint {
  date: string;
  value: string;
}

export interface Seasonality {
  by_weekday: { label: string; value: string }[] | null;
  by_month: { label: string; value: string }[] | null;
  notes: string[];
}

export interface SeriesTrend {
  daily: DailyPoint[];
  /** Window in days ("7", "30") → trailing averages from the first full window. */
  moving_averages: Record<string, DailyPoint[]>;
  volatility_pct: string | null;
  min: DailyPoint | null;
  max: DailyPoint | null;
  seasonality: Seasonality;
}

export interface ListingTrend extends SeriesTrend {
  listing_id: string;
  competitor: string | null;
  currency: string | null;
  change_count: number;
  changes_per_30_days: string;
}

export interface CompetitorActivity {
  competitor: string;
  listings: number;
  change_count: number;
  changes_per_30_days: string;
}

export interface Trends {
  listings: ListingTrend[];
  market: SeriesTrend | null;
  market_currency: string | null;
  competitors: CompetitorActivity[];
  notes: string[];
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function point(raw: unknown): DailyPoint | null {
  if (!isRecord(raw)) return null;
  const date = text(raw.date ?? raw.day);
  const value = text(raw.value);
  return date !== null && value !== null ? { date, value } : null;
}

function points(raw: unknown): DailyPoint[] {
  return Array.isArray(raw) ? raw.map(point).filter((p): p is DailyPoint => p !== null) : [];
}

function grouped(raw: unknown): { label: string; value: string }[] | null {
  if (!Array.isArray(raw)) return null;
  return raw.filter(isRecord).map((g) => ({ label: String(g.label), value: String(g.value) }));
}

function series(raw: Json): SeriesTrend {
  const averages = isRecord(raw.moving_averages) ? raw.moving_averages : {};
  const seasonality = isRecord(raw.seasonality) ? raw.seasonality : {};
  return {
    daily: points(raw.daily),
    moving_averages: Object.fromEntries(Object.entries(averages).map(([window, values]) => [window, points(values)])),
    volatility_pct: text(raw.volatility_pct),
    min: point(raw.min ?? raw.minimum),
    max: point(raw.max ?? raw.maximum),
    seasonality: {
      by_weekday: grouped(seasonality.by_weekday),
      by_month: grouped(seasonality.by_month),
      notes: Array.isArray(seasonality.notes) ? seasonality.notes.map(String) : [],
    },
  };
}

/** The trends answer in one shape, whichever way the service serialised the dataclasses. */
export function toTrends(raw: unknown): Trends {
  const body = isRecord(raw) ? raw : {};
  const listings = Array.isArray(body.listings) ? body.listings.filter(isRecord) : [];
  return {
    listings: listings.map((listing) => ({
      ...series(isRecord(listing.series) ? listing.series : listing),
      listing_id: String(listing.listing_id),
      competitor: text(listing.competitor),
      currency: text(listing.currency),
      change_count: Number(listing.change_count ?? 0),
      changes_per_30_days: String(listing.changes_per_30_days ?? '0'),
    })),
    market: isRecord(body.market) ? series(body.market) : null,
    market_currency: text(body.market_currency),
    competitors: (Array.isArray(body.competitors) ? body.competitors.filter(isRecord) : []).map((c) => ({
      competitor: String(c.competitor),
      listings: Number(c.listings ?? 0),
      change_count: Number(c.change_count ?? 0),
      changes_per_30_days: String(c.changes_per_30_days ?? '0'),
    })),
    notes: Array.isArray(body.notes) ? body.notes.map(String) : [],
  };
}
