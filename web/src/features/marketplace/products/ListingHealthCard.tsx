/** Whether each competitor page still reads a price (status, why not, failures in a row) and the recent checks. */
import { Badge, Card, Table, type Column } from '../../../components';
import { formatCompactDateTime } from '../../../lib/format';
import { ListingStatusBadge } from '../badges';
import { formatAvailability, formatMoney, label, OUTCOME_LABELS } from '../format';
import { ExternalLink } from '../shared';
import type { Listing, ListingCheck } from '../types';

const RECENT_CHECKS = 20;

export function ListingHealthCard({ listings, checks, names }: { listings: Listing[]; checks: ListingCheck[]; names: ReadonlyMap<string, string> }) {
  const columns: Column<Listing>[] = [
    {
      key: 'listing',
      header: 'Listing',
      cell: (l) => (
        <div className="min-w-0 max-w-xs">
          <p className="font-medium text-slate-900">{names.get(l.id) ?? l.url}</p>
          <ExternalLink href={l.url} className="text-xs">
            {l.title ?? l.url}
          </ExternalLink>
          {l.render_js && <p className="text-xs text-slate-500">Rendered with JavaScript</p>}
        </div>
      ),
    },
    { key: 'status', header: 'Status', cell: (l) => <ListingStatusBadge status={l.status} /> },
    {
      key: 'price',
      header: 'Last price',
      className: 'text-right',
      cell: (l) => (
        <span className="tabular-nums">
          <span className="font-medium text-slate-900" data-testid="listing-price">
            {formatMoney(l.last_price, l.last_currency)}
          </span>
          {l.last_price !== null && <span className="block text-xs text-slate-500">{formatAvailability(l.last_availability)}</span>}
        </span>
      ),
    },
    { key: 'detail', header: 'Detail', cell: (l) => <span className="text-xs text-slate-600">{l.status_detail ?? (l.status === 'ok' ? 'Price read' : '—')}</span> },
    {
      key: 'failures',
      header: 'Failures in a row',
      className: 'text-right',
      cell: (l) => <span className={l.failures_in_row > 0 ? 'font-medium text-red-700' : 'text-slate-500'}>{l.failures_in_row}</span>,
    },
    { key: 'checked', header: 'Last checked', cell: (l) => <span title={l.last_checked_at ?? undefined}>{l.last_checked_at ? formatCompactDateTime(l.last_checked_at) : 'Not yet'}</span> },
    { key: 'next', header: 'Next check', cell: (l) => <span className="text-slate-500">{l.next_check_at ? formatCompactDateTime(l.next_check_at) : '—'}</span> },
  ];
  const recent = [...checks].sort((a, b) => Date.parse(b.checked_at) - Date.parse(a.checked_at)).slice(0, RECENT_CHECKS);
  const checkColumns: Column<ListingCheck>[] = [
    { key: 'at', header: 'Checked', cell: (c) => <span title={c.checked_at}>{formatCompactDateTime(c.checked_at)}</span> },
    { key: 'listing', header: 'Listing', cell: (c) => names.get(c.listing_id) ?? '—' },
    { key: 'outcome', header: 'Outcome', cell: (c) => <Badge tone={c.outcome === 'ok' ? 'success' : 'danger'}>{label(OUTCOME_LABELS, c.outcome)}</Badge> },
    { key: 'detail', header: 'Detail', cell: (c) => <span className="text-xs text-slate-600">{c.detail ?? '—'}</span> },
    { key: 'http', header: 'HTTP', className: 'text-right', cell: (c) => <span className="tabular-nums text-slate-500">{c.http_status ?? '—'}</span> },
    { key: 'time', header: 'Time', className: 'text-right', cell: (c) => <span className="tabular-nums text-slate-500">{c.elapsed_ms !== null ? `${c.elapsed_ms} ms` : '—'}</span> },
  ];
  return (
    <Card title="Listing health" description="Whether each page still reads a price. Failing pages are retried later and later, never hammered." padded={false}>
      <div className="space-y-4 p-2">
        <Table caption="Listing health" columns={columns} rows={listings} rowKey={(l) => l.id} empty="No competitor listings: edit the product to add one." />
        <div className="px-1">
          <h3 className="px-2 pb-1 text-sm font-semibold text-slate-800">Recent checks</h3>
          <Table caption="Recent checks" columns={checkColumns} rows={recent} rowKey={(c) => `${c.listing_id}:${c.checked_at}`} empty="No checks yet." />
        </div>
      </div>
    </Card>
  );
}
