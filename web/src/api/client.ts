/**
 * Typed API client (openapi-fetch over the generated `schema.d.ts`) plus the
 * fetch wrapper that adds auth headers and transparently refreshes the access
 * token once on a 401.
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema';
import { session, tenantStore, type TokenPayload } from './auth';
import { networkError, problemFromResponse } from './problem';

/** Auth endpoints that must never trigger a refresh-and-retry. */
const NO_REFRESH_PATHS = new Set([
  '/api/auth/login',
  '/api/auth/register',
  '/api/auth/refresh',
  '/api/auth/logout',
  '/api/auth/accept-invitation',
]);

function origin(): string {
  const loc = globalThis.location;
  return loc && loc.origin && loc.origin !== 'null' ? loc.origin : '';
}

/** Absolute URL of an API path on this origin (for calls the typed client cannot make, e.g. streams). */
export function apiUrl(path: string): string {
  return `${origin()}${path}`;
}

function pathOf(url: string): string {
  try {
    return new URL(url, origin() || 'http://localhost').pathname;
  } catch {
    return url;
  }
}

function canRefresh(url: string): boolean {
  const path = pathOf(url);
  return !NO_REFRESH_PATHS.has(path) && !path.startsWith('/api/auth/invitations/');
}

/** Resolve `fetch` at call time so test interceptors (msw) and polyfills apply. */
function rawFetch(request: Request): Promise<Response> {
  return globalThis.fetch(request);
}

function withHeaders(request: Request, token: string | null): Request {
  const headers = new Headers(request.headers);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  const tenant = tenantStore.get();
  if (tenant && !headers.has('X-Tenant-ID')) headers.set('X-Tenant-ID', tenant);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json, application/problem+json');
  return new Request(request, { headers, credentials: 'same-origin' });
}

let inflightRefresh: Promise<boolean> | null = null;

async function doRefresh(): Promise<boolean> {
  try {
    const res = await rawFetch(
      new Request(`${origin()}/api/auth/refresh`, {
        method: 'POST',
        // The HttpOnly refresh cookie carries the token; the body is intentionally empty.
        body: '{}',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        credentials: 'same-origin',
      }),
    );
    if (!res.ok) return false;
    const body = (await res.json()) as TokenPayload;
    if (!body || typeof body.access_token !== 'string') return false;
    session.setTokens(body); // refresh_token in the body is ignored
    return true;
  } catch {
    return false;
  }
}

/**
 * Exchange the refresh cookie for a new access token. Concurrent callers share
 * one in-flight request. Resolves to whether the session is (still) valid.
 */
export function refreshSession(): Promise<boolean> {
  if (!inflightRefresh) {
    inflightRefresh = doRefresh().finally(() => {
      inflightRefresh = null;
    });
  }
  return inflightRefresh;
}

/**
 * fetch wrapper used by the typed client: adds `Authorization` and
 * `X-Tenant-ID`; on a 401 refreshes once (shared between concurrent
 * requests) and retries the original request exactly once. If the refresh
 * fails the session is expired (→ the app sends the user to /login).
 */
export async function authFetch(request: Request): Promise<Response> {
  const retryable = canRefresh(request.url);
  const spare = retryable ? request.clone() : null;
  const tokenUsed = session.getAccessToken();
  const response = await rawFetch(withHeaders(request, tokenUsed));
  if (response.status !== 401 || !spare) return response;

  const current = session.getAccessToken();
  // If another request already refreshed while this one was in flight, reuse its token.
  const refreshed = current && current !== tokenUsed ? true : await refreshSession();
  if (!refreshed) {
    session.expire();
    return response;
  }
  return rawFetch(withHeaders(spare, session.getAccessToken()));
}

/** Client for authenticated calls (auth headers + refresh-and-retry). */
export const api = createClient<paths>({
  baseUrl: origin(),
  fetch: authFetch,
  credentials: 'same-origin',
});

/** Client for public endpoints (login, register, invitation preview/accept): no bearer, no retry. */
export const publicApi = createClient<paths>({
  baseUrl: origin(),
  fetch: (request: Request) => rawFetch(new Request(request, { credentials: 'same-origin' })),
  credentials: 'same-origin',
});

interface ApiResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/**
 * Await an openapi-fetch call and return its data, throwing an `ApiError`
 * (parsed from problem+json) for non-2xx responses and network failures.
 */
export async function unwrap<R extends ApiResult>(call: Promise<R>): Promise<NonNullable<R['data']>> {
  let result: R;
  try {
    result = await call;
  } catch (cause) {
    throw networkError(cause);
  }
  if (!result.response.ok) throw problemFromResponse(result.response, result.error);
  return result.data as NonNullable<R['data']>;
}
