/**
 * Session token store.
 *
 * The access token lives in memory only (never in storage). The refresh token
 * is an HttpOnly, SameSite=Strict cookie set by the server on /api/auth, so
 * this module never sees or stores it — any `refresh_token` in a response
 * body is deliberately ignored.
 *
 * The selected tenant id is not a secret and is persisted in localStorage so a
 * reload keeps the user in the same company.
 */

export type SessionStatus = 'unknown' | 'authenticated' | 'anonymous';

export interface SessionState {
  status: SessionStatus;
  accessToken: string | null;
  /** Set when the session ended because a refresh failed (vs. a normal logout). */
  expired?: boolean;
}

/** Shape of the token responses (login/register/refresh/accept-invitation). */
export interface TokenPayload {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  tenant?: { id: string; name: string };
}

const TENANT_KEY = 'binelek.tenantId';

let state: SessionState = { status: 'unknown', accessToken: null };
const listeners = new Set<() => void>();
const expiredListeners = new Set<() => void>();

function emit(): void {
  for (const l of listeners) l();
}

export const session = {
  getState(): SessionState {
    return state;
  },
  getAccessToken(): string | null {
    return state.accessToken;
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** Store the access token from a token response; the refresh token is ignored on purpose. */
  setTokens(payload: TokenPayload): void {
    state = { status: 'authenticated', accessToken: payload.access_token };
    emit();
  },
  /** Forget the in-memory session (the cookie is cleared by the server on logout). */
  clear(): void {
    state = { status: 'anonymous', accessToken: null };
    emit();
  },
  /** Called when a refresh fails mid-session: clears the session and notifies the app (→ /login). */
  expire(): void {
    state = { status: 'anonymous', accessToken: null, expired: true };
    emit();
    for (const l of expiredListeners) l();
  },
  onExpired(listener: () => void): () => void {
    expiredListeners.add(listener);
    return () => expiredListeners.delete(listener);
  },
  /** Test helper: reset to the initial state. */
  reset(): void {
    state = { status: 'unknown', accessToken: null };
    listeners.clear();
    expiredListeners.clear();
  },
};

const tenantListeners = new Set<() => void>();

export const tenantStore = {
  subscribe(listener: () => void): () => void {
    tenantListeners.add(listener);
    return () => tenantListeners.delete(listener);
  },
  get(): string | null {
    try {
      return globalThis.localStorage?.getItem(TENANT_KEY) ?? null;
    } catch {
      return null;
    }
  },
  set(id: string | null): void {
    try {
      if (id) globalThis.localStorage?.setItem(TENANT_KEY, id);
      else globalThis.localStorage?.removeItem(TENANT_KEY);
    } catch {
      /* storage unavailable (private mode): the server falls back to the token's tenant */
    }
    for (const l of tenantListeners) l();
  },
};
