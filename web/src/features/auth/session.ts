import { useSyncExternalStore } from 'react';
import { useQuery, type QueryClient } from '@tanstack/react-query';
import { session, tenantStore, type SessionState } from '../../api/auth';
import { api, refreshSession, unwrap } from '../../api/client';
import { ApiError } from '../../api/problem';
import type { Me, Role, TokenResponse } from '../../api/types';

export function useSession(): SessionState {
  return useSyncExternalStore(session.subscribe, session.getState, session.getState);
}

export function useTenantId(): string | null {
  return useSyncExternalStore(tenantStore.subscribe, tenantStore.get, tenantStore.get);
}

/** Query-key prefix for tenant-scoped data, so switching tenants never shows another tenant's cache. */
export function useTenantKey(): readonly ['tenant', string] {
  const id = useTenantId();
  return ['tenant', id ?? 'default'] as const;
}

let bootstrapping: Promise<void> | null = null;

/** On app start: try to restore a session from the HttpOnly refresh cookie. */
export function bootstrapSession(): Promise<void> {
  if (!bootstrapping) {
    bootstrapping = refreshSession().then((ok) => {
      if (!ok) session.clear();
    });
  }
  return bootstrapping;
}

/** Called after login / register / accept-invitation. */
export function signIn(tokens: TokenResponse, queryClient: QueryClient): void {
  queryClient.clear();
  tenantStore.set(tokens.tenant?.id ?? null);
  session.setTokens(tokens);
}

export async function signOut(queryClient: QueryClient): Promise<void> {
  try {
    await api.POST('/api/auth/logout');
  } catch {
    /* offline: still forget the local session */
  }
  session.clear();
  tenantStore.set(null);
  queryClient.clear();
}

export function useMe() {
  const { status } = useSession();
  const tenantId = useTenantId();
  return useQuery<Me, ApiError>({
    queryKey: ['tenant', tenantId ?? 'default', 'me'],
    enabled: status === 'authenticated',
    queryFn: async () => {
      try {
        return await unwrap(api.GET('/api/auth/me'));
      } catch (e) {
        // The remembered tenant is gone (membership removed, tenant deleted): fall back to the token's tenant.
        if (tenantId && e instanceof ApiError && (e.status === 403 || e.status === 404)) tenantStore.set(null);
        throw e;
      }
    },
  });
}

export function useRole(): Role | null {
  const me = useMe();
  return me.data?.current_tenant.role ?? null;
}

export function canWrite(role: Role | null): boolean {
  return role === 'admin' || role === 'member';
}
