/** Marketplace Intel calls through the typed client (auth headers, refresh on 401, problems raised as `ApiError`). */
import { api, unwrap } from '../../api/client';
import {
  toTrends,
  type Candidate,
  type CheckAccepted,
  type Competitor,
  type CompetitorIn,
  type DiscoverIn,
  type Discovery,
  type History,
  type Page,
  type PriceAlert,
  type Preview,
  type PreviewIn,
  type Pricing,
  type Product,
  type ProductIn,
  type ProductPatch,
  type Profile,
  type ProfileIn,
  type Provider,
  type ProviderKey,
  type Trends,
} from './types';

export const MARKETPLACE_API = '/api/modules/marketplace-intel';

// -- competitors -----------------------------------------------------------------------------------

export function listCompetitors(): Promise<Competitor[]> {
  return unwrap(api.GET('/api/modules/marketplace-intel/competitors'));
}

export function getCompetitor(id: string): Promise<Competitor> {
  return unwrap(api.GET('/api/modules/marketplace-intel/competitors/{competitor_id}', { params: { path: { competitor_id: id } } }));
}

export function createCompetitor(body: CompetitorIn): Promise<Competitor> {
  return unwrap(api.POST('/api/modules/marketplace-intel/competitors', { body }));
}

export function updateCompetitor(id: string, body: CompetitorIn): Promise<Competitor> {
  return unwrap(api.PUT('/api/modules/marketplace-intel/competitors/{competitor_id}', { params: { path: { competitor_id: id } }, body }));
}

export async function deleteCompetitor(id: string): Promise<void> {
  await unwrap(api.DELETE('/api/modules/marketplace-intel/competitors/{competitor_id}', { params: { path: { competitor_id: id } } }));
}

// -- tracked products ------------------------------------------------------------------------------

export function listProducts(): Promise<Product[]> {
  return unwrap(api.GET('/api/modules/marketplace-intel/products'));
}

export function getProduct(id: string): Promise<Product> {
  return unwrap(api.GET('/api/modules/marketplace-intel/products/{product_id}', { params: { path: { product_id: id } } }));
}

export function createProduct(body: ProductIn): Promise<Product> {
  return unwrap(api.POST('/api/modules/marketplace-intel/products', { body }));
}

export function updateProduct(id: string, body: ProductPatch): Promise<Product> {
  return unwrap(api.PUT('/api/modules/marketplace-intel/products/{product_id}', { params: { path: { product_id: id } }, body }));
}

export async function deleteProduct(id: string): Promise<void> {
  await unwrap(api.DELETE('/api/modules/marketplace-intel/products/{product_id}', { params: { path: { product_id: id } } }));
}

export function getHistory(id: string, days: number): Promise<History> {
  return unwrap(
    api.GET('/api/modules/marketplace-intel/products/{product_id}/history', { params: { path: { product_id: id }, query: { days } } }),
  );
}

export function checkNow(id: string): Promise<CheckAccepted> {
  return unwrap(api.POST('/api/modules/marketplace-intel/products/{product_id}/check', { params: { path: { product_id: id } } }));
}

export function preview(body: PreviewIn): Promise<Preview> {
  return unwrap(api.POST('/api/modules/marketplace-intel/products/preview', { body }));
}

// -- pricing, trends, alerts -----------------------------------------------------------------------

export async function getPricing(productId?: string): Promise<Pricing[]> {
  const rows = await unwrap(api.GET('/api/modules/marketplace-intel/pricing', { params: { query: { product_id: productId } } }));
  return rows as unknown as Pricing[];
}

export async function getTrends(productId: string | undefined, days: number): Promise<Trends> {
  return toTrends(await unwrap(api.GET('/api/modules/marketplace-intel/trends', { params: { query: { product_id: productId, days } } })));
}

export function listAlerts(query: { limit: number; offset: number }): Promise<Page<PriceAlert>> {
  return unwrap(api.GET('/api/modules/marketplace-intel/alerts', { params: { query } }));
}

export async function readAlert(id: string): Promise<void> {
  await unwrap(api.POST('/api/modules/marketplace-intel/alerts/{alert_id}/read', { params: { path: { alert_id: id } } }));
}

// -- discovery -------------------------------------------------------------------------------------

/** The business profile, or null before it is first saved. */
export async function getProfile(): Promise<Profile | null> {
  return (await unwrap(api.GET('/api/modules/marketplace-intel/profile'))) ?? null;
}

export function saveProfile(body: ProfileIn): Promise<Profile> {
  return unwrap(api.PUT('/api/modules/marketplace-intel/profile', { body }));
}

export function listProviderKeys(): Promise<ProviderKey[]> {
  return unwrap(api.GET('/api/modules/marketplace-intel/provider-keys'));
}

export function saveProviderKey(provider: Provider, apiKey: string): Promise<ProviderKey> {
  return unwrap(api.PUT('/api/modules/marketplace-intel/provider-keys/{provider}', { params: { path: { provider } }, body: { api_key: apiKey } }));
}

export async function deleteProviderKey(provider: Provider): Promise<void> {
  await unwrap(api.DELETE('/api/modules/marketplace-intel/provider-keys/{provider}', { params: { path: { provider } } }));
}

export function discover(body: DiscoverIn): Promise<Discovery> {
  return unwrap(api.POST('/api/modules/marketplace-intel/discover', { body }));
}

export function listCandidates(): Promise<Candidate[]> {
  return unwrap(api.GET('/api/modules/marketplace-intel/candidates'));
}

export function acceptCandidate(id: string): Promise<Competitor> {
  return unwrap(api.POST('/api/modules/marketplace-intel/candidates/{candidate_id}/accept', { params: { path: { candidate_id: id } } }));
}

export async function dismissCandidate(id: string): Promise<void> {
  await unwrap(api.POST('/api/modules/marketplace-intel/candidates/{candidate_id}/dismiss', { params: { path: { candidate_id: id } } }));
}
