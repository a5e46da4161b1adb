/** TanStack Query hooks for Marketplace Intel, keyed under the tenant so tenants never share cache. */
import { useCallback, useMemo } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../api/problem';
import { useTenantKey } from '../auth/session';
import * as marketApi from './api';
import type {
  Candidate,
  CheckAccepted,
  Competitor,
  CompetitorIn,
  DiscoverIn,
  Discovery,
  History,
  Page,
  PriceAlert,
  Preview,
  PreviewIn,
  Pricing,
  Product,
  ProductIn,
  ProductPatch,
  Profile,
  ProfileIn,
  Provider,
  ProviderKey,
  Trends,
} from './types';

export function useMarketKey() {
  const [scope, tenant] = useTenantKey();
  return useMemo(() => [scope, tenant, 'marketplace'] as const, [scope, tenant]);
}

type MarketKey = ReturnType<typeof useMarketKey>;

/** Anything that changes a product or its listings moves the market figures, pricing and trends too. */
function invalidateProducts(queryClient: QueryClient, key: MarketKey): Promise<unknown> {
  return Promise.all(
    (['products', 'pricing', 'trends', 'history', 'competitors'] as const).map((part) => queryClient.invalidateQueries({ queryKey: [...key, part] })),
  );
}

/** Poll while something is being checked (`ms`), otherwise refresh like any other query. */
type Poll = number | false;

// -- products --------------------------------------------------------------------------------------

/** New listings are checked by the next scheduled round (within a minute or two): follow them until then. */
const PENDING_POLL_MS = 10_000;

function hasPending(products: Product[]): boolean {
  return products.some((p) => p.status === 'active' && (p.listings ?? []).some((l) => l.status === 'pending'));
}

export function useProducts() {
  const key = useMarketKey();
  return useQuery<Product[], ApiError>({
    queryKey: [...key, 'products', 'list'],
    queryFn: marketApi.listProducts,
    refetchInterval: (query) => (query.state.data && hasPending(query.state.data) ? PENDING_POLL_MS : false),
  });
}

export function useProduct(id: string | undefined, poll: Poll = false) {
  const key = useMarketKey();
  return useQuery<Product, ApiError>({
    queryKey: [...key, 'products', 'detail', id],
    queryFn: () => marketApi.getProduct(id!),
    enabled: Boolean(id),
    refetchInterval: (query) => poll || (query.state.data && hasPending([query.state.data]) ? PENDING_POLL_MS : false),
  });
}

export function useHistory(id: string | undefined, days: number, poll: Poll = false) {
  const key = useMarketKey();
  return useQuery<History, ApiError>({
    queryKey: [...key, 'history', id, days],
    queryFn: () => marketApi.getHistory(id!, days),
    enabled: Boolean(id),
    placeholderData: keepPreviousData,
    refetchInterval: poll,
  });
}

export function usePricing(productId?: string) {
  const key = useMarketKey();
  return useQuery<Pricing[], ApiError>({ queryKey: [...key, 'pricing', productId ?? 'all'], queryFn: () => marketApi.getPricing(productId) });
}

export function useTrends(productId: string | undefined, days = 90) {
  const key = useMarketKey();
  return useQuery<Trends, ApiError>({
    queryKey: [...key, 'trends', productId ?? 'all', days],
    queryFn: () => marketApi.getTrends(productId, days),
    placeholderData: keepPreviousData,
  });
}

export function useCreateProduct() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<Product, ApiError, ProductIn>({
    mutationFn: marketApi.createProduct,
    // Not awaited: the form moves on to the new product's page without waiting for the list.
    onSuccess: () => void invalidateProducts(queryClient, key),
  });
}

export function useUpdateProduct() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<Product, ApiError, { id: string; patch: ProductPatch }>({
    mutationFn: ({ id, patch }) => marketApi.updateProduct(id, patch),
    onSuccess: (product) => {
      queryClient.setQueryData([...key, 'products', 'detail', product.id], product);
      return invalidateProducts(queryClient, key);
    },
  });
}

export function useDeleteProduct() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: marketApi.deleteProduct,
    onSuccess: (_, id) => {
      queryClient.removeQueries({ queryKey: [...key, 'products', 'detail', id] });
      return Promise.all([invalidateProducts(queryClient, key), queryClient.invalidateQueries({ queryKey: [...key, 'alerts'] })]);
    },
  });
}

export function usePreview() {
  return useMutation<Preview, ApiError, PreviewIn>({ mutationFn: marketApi.preview });
}

export function useCheckNow() {
  return useMutation<CheckAccepted, ApiError, string>({ mutationFn: marketApi.checkNow });
}

/** After a check lands: every figure the product shows may have moved, and alerts may be new. */
export function useRefreshAfterCheck() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useCallback(
    () => Promise.all([invalidateProducts(queryClient, key), queryClient.invalidateQueries({ queryKey: [...key, 'alerts'] })]),
    [queryClient, key],
  );
}

// -- competitors -----------------------------------------------------------------------------------

export function useCompetitors() {
  const key = useMarketKey();
  return useQuery<Competitor[], ApiError>({ queryKey: [...key, 'competitors', 'list'], queryFn: marketApi.listCompetitors });
}

export function useCompetitor(id: string | undefined) {
  const key = useMarketKey();
  return useQuery<Competitor, ApiError>({
    queryKey: [...key, 'competitors', 'detail', id],
    queryFn: () => marketApi.getCompetitor(id!),
    enabled: Boolean(id),
  });
}

export function useSaveCompetitor() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<Competitor, ApiError, { id?: string; body: CompetitorIn }>({
    mutationFn: ({ id, body }) => (id ? marketApi.updateCompetitor(id, body) : marketApi.createCompetitor(body)),
    // A renamed competitor is renamed in pricing and trends too.
    onSuccess: () => invalidateProducts(queryClient, key),
  });
}

export function useDeleteCompetitor() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: marketApi.deleteCompetitor,
    onSuccess: (_, id) => {
      queryClient.removeQueries({ queryKey: [...key, 'competitors', 'detail', id] });
      return invalidateProducts(queryClient, key);
    },
  });
}

// -- alerts ----------------------------------------------------------------------------------------

export function useAlerts(query: { limit: number; offset: number }) {
  const key = useMarketKey();
  return useQuery<Page<PriceAlert>, ApiError>({
    queryKey: [...key, 'alerts', query],
    queryFn: () => marketApi.listAlerts(query),
    placeholderData: keepPreviousData,
  });
}

export function useReadAlert() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: marketApi.readAlert,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'alerts'] }),
  });
}

// -- discovery -------------------------------------------------------------------------------------

export function useProfile() {
  const key = useMarketKey();
  return useQuery<Profile | null, ApiError>({ queryKey: [...key, 'profile'], queryFn: marketApi.getProfile });
}

export function useSaveProfile() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<Profile, ApiError, ProfileIn>({
    mutationFn: marketApi.saveProfile,
    onSuccess: (profile) => queryClient.setQueryData([...key, 'profile'], profile),
  });
}

export function useProviderKeys() {
  const key = useMarketKey();
  return useQuery<ProviderKey[], ApiError>({ queryKey: [...key, 'provider-keys'], queryFn: marketApi.listProviderKeys });
}

export function useSaveProviderKey() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<ProviderKey, ApiError, { provider: Provider; apiKey: string }>({
    mutationFn: ({ provider, apiKey }) => marketApi.saveProviderKey(provider, apiKey),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'provider-keys'] }),
  });
}

export function useDeleteProviderKey() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, Provider>({
    mutationFn: marketApi.deleteProviderKey,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'provider-keys'] }),
  });
}

export function useCandidates() {
  const key = useMarketKey();
  return useQuery<Candidate[], ApiError>({ queryKey: [...key, 'candidates'], queryFn: marketApi.listCandidates });
}

export function useDiscover() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<Discovery, ApiError, DiscoverIn>({
    mutationFn: marketApi.discover,
    // The answer is the new list of suggestions (the previous open ones are replaced).
    onSuccess: (result) => queryClient.setQueryData([...key, 'candidates'], result.candidates),
  });
}

export function useAcceptCandidate() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<Competitor, ApiError, string>({
    mutationFn: marketApi.acceptCandidate,
    onSuccess: () =>
      Promise.all([queryClient.invalidateQueries({ queryKey: [...key, 'candidates'] }), queryClient.invalidateQueries({ queryKey: [...key, 'competitors'] })]),
  });
}

export function useDismissCandidate() {
  const key = useMarketKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: marketApi.dismissCandidate,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'candidates'] }),
  });
}
