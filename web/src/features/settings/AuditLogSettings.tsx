import { useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { ApiError } from '../../api/problem';
import type { AuditLog, AuditLogPage, MemberPage } from '../../api/types';
import { Button, Card, Pager, QueryView, SelectField, Spinner, Table, TextField, type Column } from '../../components';
import { formatCompactDateTime, formatDateTime } from '../../lib/format';
import { useTenantKey } from '../auth/session';

const PAGE = 25;

interface Filters {
  action: string;
  user_id: string;
  since: string;
  until: string;
}
const EMPTY: Filters = { action: '', user_id: '', since: '', until: '' };

/** datetime-local value (local time) → ISO 8601 for the API. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function short(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function Details({ value }: { value: unknown }) {
  const entries = value && typeof value === 'object' ? Object.entries(value as Record<string, unknown>) : [];
  if (entries.length === 0) return <span className="text-slate-400">—</span>;
  return (
    <div className="min-w-[10rem] max-w-xs text-xs">
      <dl className="space-y-0.5">
        {entries.slice(0, 3).map(([k, v]) => (
          <div key={k} className="flex gap-1.5">
            <dt className="shrink-0 text-slate-400">{k}</dt>
            <dd className="min-w-0 truncate text-slate-700" title={typeof v === 'string' ? v : JSON.stringify(v)}>
              {short(v)}
            </dd>
          </div>
        ))}
      </dl>
      {entries.length > 3 && (
        <details className="mt-1">
          <summary className="cursor-pointer text-brand-600">All {entries.length} fields</summary>
          <pre className="mt-1 max-h-48 overflow-auto rounded bg-slate-50 p-2 text-slate-700">{JSON.stringify(value, null, 2)}</pre>
        </details>
      )}
    </div>
  );
}

export function AuditLogSettings() {
  const key = useTenantKey();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [offset, setOffset] = useState(0);

  const members = useQuery<MemberPage, ApiError>({
    queryKey: [...key, 'members', 'all'],
    queryFn: () => unwrap(api.GET('/api/team/members', { params: { query: { limit: 100, offset: 0 } } })),
  });

  const logs = useQuery<AuditLogPage, ApiError>({
    queryKey: [...key, 'audit-logs', filters, offset],
    queryFn: () =>
      unwrap(
        api.GET('/api/audit-logs', {
          params: {
            query: {
              action: filters.action.trim() || undefined,
              user_id: filters.user_id || undefined,
              since: toIso(filters.since),
              until: toIso(filters.until),
              limit: PAGE,
              offset,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setOffset(0);
    setFilters(draft);
  };
  const clear = () => {
    setDraft(EMPTY);
    setFilters(EMPTY);
    setOffset(0);
  };

  const userOptions = [{ value: '', label: 'Anyone' }, ...(members.data?.items ?? []).map((m) => ({ value: m.user_id, label: `${m.full_name} (${m.email})` }))];

  const columns: Column<AuditLog>[] = [
    {
      key: 'time',
      header: 'When',
      cell: (l) => <time dateTime={l.created_at} title={formatDateTime(l.created_at)}>{formatCompactDateTime(l.created_at)}</time>,
      className: 'whitespace-nowrap',
    },
    { key: 'action', header: 'Action', cell: (l) => <code className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-800">{l.action}</code> },
    {
      key: 'user',
      header: 'User',
      cell: (l) => (
        <div className="max-w-[13rem]">
          <p className="truncate" title={l.user_email ?? undefined}>
            {l.user_email ?? <span className="text-slate-400">System</span>}
          </p>
          <p className="truncate text-xs text-slate-400" title={l.user_agent ?? undefined}>
            {l.ip ?? 'no IP'}
          </p>
        </div>
      ),
    },
    { key: 'details', header: 'Details', cell: (l) => <Details value={l.details} /> },
  ];

  return (
    <Card title="Audit log" description="Security-relevant events in this company: sign-ins, role changes, invitations, API keys and settings." padded={false}>
      <form onSubmit={apply} className="grid gap-4 border-b border-slate-100 px-5 py-4 sm:grid-cols-2 lg:grid-cols-4" aria-label="Audit log filters">
        <TextField label="Action" name="action" placeholder="e.g. auth.login" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} />
        <SelectField label="User" name="user_id" value={draft.user_id} onChange={(e) => setDraft({ ...draft, user_id: e.target.value })} options={userOptions} />
        <TextField label="From" type="datetime-local" name="since" value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />
        <TextField label="Until" type="datetime-local" name="until" value={draft.until} onChange={(e) => setDraft({ ...draft, until: e.target.value })} />
        <div className="flex gap-2 sm:col-span-2 lg:col-span-4">
          <Button type="submit">Apply filters</Button>
          <Button variant="ghost" onClick={clear}>
            Clear
          </Button>
          {logs.isFetching && !logs.isPending && <Spinner size="sm" label="Refreshing" />}
        </div>
      </form>
      <div className="px-2 py-2">
        <QueryView query={logs} loadingLabel="Loading audit log" errorTitle="Could not load the audit log">
          {(data) => (
            <>
              <Table caption="Audit log entries" columns={columns} rows={data.items} rowKey={(l) => String(l.id)} empty="No events match these filters." />
              <div className="pb-2">
                <Pager total={data.total} limit={data.limit || PAGE} offset={data.offset} onChange={setOffset} label="Audit log pages" />
              </div>
            </>
          )}
        </QueryView>
      </div>
    </Card>
  );
}
