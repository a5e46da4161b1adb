import { useState } from 'react';
import { Link } from 'react-router';
import { Card, Checkbox, EmptyState, PageHeader, Pager, QueryView, Table, type Column } from '../../../components';
import { IconShield } from '../../../components/Icons';
import { formatCompactDateTime, formatDateTime } from '../../../lib/format';
import { canWrite, useRole } from '../../auth/session';
import { ScanStatusBadge } from '../badges';
import { useScans } from '../hooks';
import { CATEGORY_LABELS, label, SEVERITY_LABELS, TRIGGER_LABELS } from '../labels';
import { RunScanButton } from '../shared';
import { SCAN_CATEGORIES, SEVERITIES, type ScanCategory, type ScanSummary } from '../types';

const PAGE_SIZE = 25;

export function ScanProgress({ scan }: { scan: Pick<ScanSummary, 'progress_done' | 'progress_total' | 'status'> }) {
  const total = Math.max(scan.progress_total, 0);
  const ratio = total > 0 ? Math.min(1, scan.progress_done / total) : scan.status === 'succeeded' ? 1 : 0;
  return (
    <div className="flex items-center gap-2">
      <div
        role="progressbar"
        aria-label="Scan progress"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={scan.progress_done}
        aria-valuetext={`${scan.progress_done} of ${total} checks done`}
        className="h-2 w-24 overflow-hidden rounded-full bg-slate-100 ring-1 ring-inset ring-slate-200"
      >
        <div className="h-full rounded-full bg-brand-600 transition-[width]" style={{ width: `${(ratio * 100).toFixed(1)}%` }} />
      </div>
      <span className="text-xs tabular-nums text-slate-600">
        {scan.progress_done}/{total}
      </span>
    </div>
  );
}

/** "2 high, 1 medium" from a finished scan's summary; what a still-running scan cannot say yet. */
export function failedCounts(summary: Record<string, unknown>): string {
  const failed = (summary.failed_by_severity ?? {}) as Record<string, number>;
  const parts = SEVERITIES.filter((s) => (failed[s] ?? 0) > 0).map((s) => `${failed[s]} ${SEVERITY_LABELS[s].toLowerCase()}`);
  if (parts.length) return parts.join(', ');
  return typeof summary.findings === 'number' ? 'No problems' : '—';
}

/** /security/scans: history, and a scan of chosen categories. */
export function ScansPage() {
  const [offset, setOffset] = useState(0);
  const scans = useScans({ limit: PAGE_SIZE, offset });
  const writer = canWrite(useRole());
  const columns: Column<ScanSummary>[] = [
    {
      key: 'started',
      header: 'Scan',
      cell: (s) => (
        <Link to={`/security/scans/${s.id}`} className="font-medium text-slate-900 hover:text-brand-700" title={formatDateTime(s.created_at)}>
          {formatCompactDateTime(s.started_at ?? s.created_at)}
        </Link>
      ),
    },
    { key: 'status', header: 'Status', cell: (s) => <ScanStatusBadge status={s.status} /> },
    { key: 'trigger', header: 'Trigger', cell: (s) => label(TRIGGER_LABELS, s.trigger) },
    { key: 'categories', header: 'Checks', cell: (s) => <span className="text-xs">{s.categories.map((c) => label(CATEGORY_LABELS, c)).join(', ')}</span> },
    { key: 'progress', header: 'Progress', cell: (s) => <ScanProgress scan={s} /> },
    { key: 'found', header: 'Problems found', cell: (s) => <span className="text-xs">{failedCounts(s.summary)}</span> },
    { key: 'new', header: 'New / resolved', cell: (s) => (typeof s.summary.new === 'number' ? `${s.summary.new} / ${Number(s.summary.resolved ?? 0)}` : '—') },
    { key: 'finished', header: 'Finished', cell: (s) => formatCompactDateTime(s.finished_at) },
  ];
  return (
    <div className="space-y-5">
      <PageHeader title="Scans" description="Every scan, newest first. Scheduled scans run by themselves; start one whenever you change something." actions={<RunScanButton label="Scan everything" />} />
      {writer && <ChooseScan />}
      <Card padded={false}>
        <QueryView query={scans} loadingLabel="Loading scans" errorTitle="Could not load scans">
          {(page) =>
            page.items.length === 0 ? (
              <EmptyState className="m-4" icon={<IconShield className="h-6 w-6" />} title="No scans yet" description="Add an asset, then run a scan: its progress and report show up here." />
            ) : (
              <div className="p-2">
                <Table caption="Scans" columns={columns} rows={page.items} rowKey={(s) => s.id} />
                <Pager label="Scan pages" total={page.total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
              </div>
            )
          }
        </QueryView>
      </Card>
    </div>
  );
}

/** Pick the categories of one scan (every scan-enabled asset). */
function ChooseScan() {
  const [chosen, setChosen] = useState<ScanCategory[]>(['web', 'tls']);
  return (
    <Card title="Scan only some checks" description="Every scan-enabled asset, with the checks you pick." aria-label="Scan only some checks">
      <div className="flex flex-wrap items-center justify-between gap-4">
        <fieldset className="flex flex-wrap gap-4">
          <legend className="sr-only">Checks to run</legend>
          {SCAN_CATEGORIES.map((category) => (
            <Checkbox
              key={category}
              label={label(CATEGORY_LABELS, category)}
              checked={chosen.includes(category)}
              onChange={(e) => setChosen((current) => (e.target.checked ? [...current, category] : current.filter((c) => c !== category)))}
            />
          ))}
        </fieldset>
        {chosen.length > 0 && <RunScanButton body={{ categories: chosen }} label="Start scan" variant="secondary" />}
      </div>
    </Card>
  );
}
