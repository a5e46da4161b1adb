import { useCallback, useState } from 'react';

export interface HistoryEntry {
  question: string;
  answer: string;
  understood: boolean;
  askedAt: string;
}

export const HISTORY_MAX = 20;

function storageKey(tenantId: string): string {
  return `binelek.foundry.ask-history.${tenantId}`;
}

function isEntry(value: unknown): value is HistoryEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.question === 'string' && typeof entry.answer === 'string' && typeof entry.askedAt === 'string';
}

/** This browser session's questions (sessionStorage: they go when the tab closes, and stay per tenant). */
export function readHistory(tenantId: string): HistoryEntry[] {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(storageKey(tenantId)) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isEntry).slice(0, HISTORY_MAX) : [];
  } catch {
    return [];
  }
}

function writeHistory(tenantId: string, entries: HistoryEntry[]): void {
  try {
    sessionStorage.setItem(storageKey(tenantId), JSON.stringify(entries));
  } catch {
    /* storage full or disabled: the history still lives in memory for this page */
  }
}

/** The newest question first; asking one again moves it to the top instead of listing it twice. */
export function withEntry(entries: HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  const others = entries.filter((e) => e.question.toLowerCase() !== entry.question.toLowerCase());
  return [entry, ...others].slice(0, HISTORY_MAX);
}

export function useAskHistory(tenantId: string) {
  const [state, setState] = useState(() => ({ tenantId, entries: readHistory(tenantId) }));
  // A tenant switch re-reads that tenant's history during render (no effect, no flash of the other's).
  const entries = state.tenantId === tenantId ? state.entries : readHistory(tenantId);
  if (state.tenantId !== tenantId) setState({ tenantId, entries });

  const add = useCallback(
    (entry: HistoryEntry) => {
      setState((current) => {
        const next = withEntry(current.tenantId === tenantId ? current.entries : readHistory(tenantId), entry);
        writeHistory(tenantId, next);
        return { tenantId, entries: next };
      });
    },
    [tenantId],
  );

  const clear = useCallback(() => {
    writeHistory(tenantId, []);
    setState({ tenantId, entries: [] });
  }, [tenantId]);

  return { entries, add, clear };
}
