import { Badge, Card, QueryView, Table, type Column } from '../../components';
import { formatCompactDateTime } from '../../lib/format';
import type { FileImport, ImportStatus } from './api';
import { useImport } from './hooks';

type RowError = FileImport['errors'][number];

const STATUS_TONE = { queued: 'neutral', running: 'brand', completed: 'success', failed: 'danger' } as const;
const STATUS_LABEL: Record<ImportStatus, string> = { queued: 'Queued', running: 'Running', completed: 'Completed', failed: 'Failed' };

export function StatusBadge({ status }: { status: ImportStatus }) {
  return <Badge tone={STATUS_TONE[status]}>{STATUS_LABEL[status]}</Badge>;
}

const errorColumns: Column<RowError & { key: string }>[] = [
  { key: 'row', header: 'Row', cell: (e) => e.row, className: 'w-20 tabular-nums' },
  { key: 'column', header: 'Column', cell: (e) => e.column ?? '—', className: 'w-40 font-mono text-xs' },
  { key: 'message', header: 'Message', cell: (e) => e.message },
];

/** One import's progress (polled every second while it runs), then its numbers and bad rows. */
export function ImportReport({ importId }: { importId: string }) {
  const query = useImport(importId);
  return (
    <Card title="Import report" aria-label="Import report">
      <QueryView query={query} loadingLabel="Loading the import" errorTitle="Could not load the import">
        {(report) => <ReportBody report={report} />}
      </QueryView>
    </Card>
  );
}

function ReportBody({ report }: { report: FileImport }) {
  const finished = report.status === 'completed' || report.status === 'failed';
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3 text-sm text-slate-600">
        <StatusBadge status={report.status} />
        <span className="font-medium text-slate-900">{report.filename}</span>
        <span>→ {report.entity}</span>
        <span>started {formatCompactDateTime(report.created_at)}</span>
      </div>
      {!finished && <Progress report={report} />}
      {report.detail && (
        <p role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
          {report.detail}
        </p>
      )}
      {finished && (
        <dl className="grid grid-cols-3 gap-3 text-sm" aria-label="Import totals">
          <Total label="Rows" value={report.rows_total} />
          <Total label="Imported" value={report.rows_imported} />
          <Total label="Failed" value={report.rows_failed} tone={report.rows_failed ? 'text-red-700' : undefined} />
        </dl>
      )}
      {report.errors.length > 0 && (
        <div>
          <Table
            caption="Rows not imported"
            captionVisible
            columns={errorColumns}
            rows={report.errors.map((e, i) => ({ ...e, key: `${i}` }))}
            rowKey={(e) => e.key}
          />
          {report.errors_omitted > 0 && (
            <p className="px-3 pt-2 text-sm text-slate-500">{report.errors_omitted.toLocaleString()} more not shown.</p>
          )}
        </div>
      )}
    </div>
  );
}

function Total({ label, value, tone }: { label: string; value: number; tone?: string | undefined }) {
  return (
    <div className="rounded-lg bg-slate-50 px-4 py-3 ring-1 ring-inset ring-slate-200">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className={`mt-1 text-xl font-semibold tabular-nums ${tone ?? 'text-slate-900'}`}>{value.toLocaleString()}</dd>
    </div>
  );
}

function Progress({ report }: { report: FileImport }) {
  const done = report.rows_imported + report.rows_failed;
  // Until the job has counted the rows the total is unknown: the bar has no value (indeterminate).
  const known = report.rows_total > 0;
  const ratio = known ? Math.min(1, done / report.rows_total) : 0;
  const text = known ? `${done.toLocaleString()} of ${report.rows_total.toLocaleString()} rows` : 'Waiting to start';
  return (
    <div className="space-y-1.5">
      <div
        role="progressbar"
        aria-label="Import progress"
        aria-valuemin={0}
        aria-valuemax={known ? report.rows_total : undefined}
        aria-valuenow={known ? done : undefined}
        aria-valuetext={text}
        className="h-2.5 w-full overflow-hidden rounded-full bg-slate-100 ring-1 ring-inset ring-slate-200"
      >
        <div
          className={known ? 'h-full rounded-full bg-brand-600 transition-[width]' : 'h-full w-1/3 animate-pulse rounded-full bg-brand-300'}
          style={known ? { width: `${(ratio * 100).toFixed(1)}%` } : undefined}
        />
      </div>
      <p className="text-xs text-slate-500">{text}</p>
    </div>
  );
}
