/**
 * The signed-in user's notifications: the bell's list, marking read, the live stream
 * (GET /api/notifications/stream, Server-Sent Events read with fetch so the bearer token and the
 * refresh-on-401 apply) and the per-kind delivery preferences.
 */
import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, apiUrl, authFetch, unwrap } from '../../api/client';
import type { ApiError } from '../../api/problem';
import type { paths } from '../../api/schema';
import type { Ok } from '../../api/types';
import { readSse } from '../command/sse';
import { useTenantKey } from '../auth/session';

export type NotificationList = Ok<paths['/api/notifications']['get']>;
export type NotificationItem = NotificationList['items'][number];
export type PreferenceList = Ok<paths['/api/notifications/preferences']['get']>;
export type Preference = PreferenceList['items'][number];

export const STREAM_PATH = '/api/notifications/stream';
const LIST_LIMIT = 20;

function listKey(tenantKey: readonly unknown[]) {
  return [...tenantKey, 'notifications', 'list'] as const;
}

export function useNotifications() {
  const key = useTenantKey();
  return useQuery<NotificationList, ApiError>({
    queryKey: listKey(key),
    queryFn: () => unwrap(api.GET('/api/notifications', { params: { query: { limit: LIST_LIMIT } } })),
    staleTime: 60_000,
  });
}

export function useMarkRead() {
  const key = useTenantKey();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ids: string[] | null) => unwrap(api.POST('/api/notifications/read', { body: { ids } })),
    onMutate: (ids) => markLocally(queryClient, listKey(key), ids),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: listKey(key) }),
  });
}

function markLocally(queryClient: QueryClient, key: readonly unknown[], ids: string[] | null): void {
  queryClient.setQueryData<NotificationList>(key, (list) => {
    if (!list) return list;
    const now = new Date().toISOString();
    let marked = 0;
    const items = list.items.map((item) => {
      if (item.read_at || (ids !== null && !ids.includes(item.id))) return item;
      marked += 1;
      return { ...item, read_at: now };
    });
    return { items, unread: ids === null ? 0 : Math.max(0, list.unread - marked) };
  });
}

function addLocally(queryClient: QueryClient, key: readonly unknown[], item: NotificationItem): void {
  queryClient.setQueryData<NotificationList>(key, (list) => {
    if (!list || list.items.some((existing) => existing.id === item.id)) return list;
    return { items: [item, ...list.items].slice(0, LIST_LIMIT), unread: list.unread + (item.read_at ? 0 : 1) };
  });
}

export type StreamState = 'connecting' | 'live' | 'retrying';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Keep the bell current while the app is open: new notifications land in the list at once, reads
 * made in another tab or device update the badge. Reconnects with backoff (the server ends each
 * stream after a few minutes on purpose, so a reconnect also re-checks the session).
 */
export function useNotificationStream(): StreamState {
  const key = useTenantKey();
  const queryClient = useQueryClient();
  const [state, setState] = useState<StreamState>('connecting');
  const tenant = key[1];

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const cacheKey = listKey(['tenant', tenant]);
    const run = async () => {
      let delay = 1_000;
      while (!signal.aborted) {
        try {
          const response = await authFetch(new Request(apiUrl(STREAM_PATH), { headers: { Accept: 'text/event-stream' }, signal }));
          if (response.ok && response.body) {
            for await (const event of readSse(response.body, signal)) {
              if (event.event === 'ready') {
                setState('live');
                delay = 1_000;
                void queryClient.invalidateQueries({ queryKey: cacheKey });
              } else if (event.event === 'notification') {
                addLocally(queryClient, cacheKey, JSON.parse(event.data) as NotificationItem);
              } else if (event.event === 'read') {
                void queryClient.invalidateQueries({ queryKey: cacheKey });
              }
            }
          }
        } catch {
          /* dropped or refused: retried below */
        }
        if (signal.aborted) return;
        setState('retrying');
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 30_000);
      }
    };
    void run();
    return () => controller.abort();
  }, [tenant, queryClient]);

  return state;
}

export function usePreferences() {
  const key = useTenantKey();
  return useQuery<PreferenceList, ApiError>({
    queryKey: [...key, 'notifications', 'preferences'],
    queryFn: () => unwrap(api.GET('/api/notifications/preferences')),
  });
}

export function useSavePreferences() {
  const key = useTenantKey();
  const queryClient = useQueryClient();
  return useMutation<PreferenceList, ApiError, Preference[]>({
    mutationFn: (items) =>
      unwrap(
        api.PUT('/api/notifications/preferences', {
          body: { items: items.map(({ kind, in_app, email, digest }) => ({ kind, in_app, email, digest })) },
        }),
      ),
    onSuccess: (saved) => queryClient.setQueryData([...key, 'notifications', 'preferences'], saved),
  });
}
