/**
 * /security/scans/:scanId: a progress bar while the scan is queued or running (polled every second),
 * each check's report as it arrives (web headers, TLS, DNS and e-mail, open ports…), the errors and the
 * findings, failed first.
 */
import { Link, useParams } from 'react-router';
import { Badge, Card, PageSpinner, ProblemAlert, Table, type Column } from '../../../components';
import { formatDateTime } from '../../../lib/format';
import { ScanStatusBadge, SeverityBadge } from '../badges';
import { useScan } from '../hooks';
import { CATEGORY_LABELS, label, SEVERITY_RANK, TRIGGER_LABELS } from '../labels';
import { DnsReportView } from '../reports/DnsReport';
import { NetworkReportView } from '../reports/NetworkReport';
import { TlsReportView } from '../reports/TlsReport';
import { WebReportView } from '../reports/WebReport';
import { ACTIVE_SCAN_STATUSES, type DnsReport, type HeadersReport, type PortScanReport, type Scan, type ScanFinding, type ScanReport, type TlsReport } from '../types';
import { failedCounts } from './ScansPage';

export function ScanDetailPage() {
  const { scanId } = useParams();
  const scan = useScan(scanId);
  if (scan.isPending) return <PageSpinner label="Loading the scan" />;
  if (scan.isError || !scan.data) return <ProblemAlert error={scan.error} title="Could not load the scan" />;
  return <ScanView scan={scan.data} />;
}

function ScanView({ scan }: { scan: Scan }) {
  const active = ACTIVE_SCAN_STATUSES.has(scan.status);
  return (
    <div className="space-y-5">
      <div>
        <Link to="/security/scans" className="text-sm text-slate-500 hover:text-brand-700">
          ← Scans
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight text-slate-900">Scan of {formatDateTime(scan.started_at ?? scan.created_at)}</h1>
        <div className="mt-1 flex flex-wrap items-center gap-3 text-sm text-slate-500">
          <span data-testid="scan-status">
            <ScanStatusBadge status={scan.status} />
          </span>
          <span>{label(TRIGGER_LABELS, scan.trigger)} scan</span>
          <span>{scan.categories.map((c) => label(CATEGORY_LABELS, c)).join(', ')}</span>
          {scan.finished_at && <span>finished {formatDateTime(scan.finished_at)}</span>}
        </div>
      </div>
      {active ? <ProgressCard scan={scan} /> : <SummaryCard scan={scan} />}
      {scan.errors.length > 0 && <ErrorsCard errors={scan.errors} />}
      {(scan.reports ?? []).map((report) => (
        <ReportSection key={report.id} report={report} />
      ))}
      {!active && <FindingsCard findings={scan.findings ?? []} />}
    </div>
  );
}

function ProgressCard({ scan }: { scan: Scan }) {
  const total = scan.progress_total;
  const ratio = total > 0 ? Math.min(1, scan.progress_done / total) : 0;
  return (
    <Card title={scan.status === 'queued' ? 'Waiting to start…' : 'Scanning…'} description="This page follows the scan; reports appear as each check finishes.">
      <div
        role="progressbar"
        aria-label="Scan progress"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={scan.progress_done}
        aria-valuetext={`${scan.progress_done} of ${total} checks done`}
        className="h-3 w-full overflow-hidden rounded-full bg-slate-100 ring-1 ring-inset ring-slate-200"
      >
        <div className="h-full rounded-full bg-brand-600 transition-[width] duration-500" style={{ width: `${Math.max(ratio * 100, 3).toFixed(1)}%` }} />
      </div>
      <p className="mt-2 text-sm text-slate-600" aria-live="polite">
        {scan.progress_done} of {total} checks done
      </p>
    </Card>
  );
}

function SummaryCard({ scan }: { scan: Scan }) {
  const summary = scan.summary as {
    new?: number;
    resolved?: number;
    reopened?: number;
    still_open?: number;
    findings?: number;
    passed?: number;
    posture?: { score?: number; grade?: string };
  };
  const items: [string, string][] = [
    ['Checks run', `${scan.progress_done} of ${scan.progress_total}`],
    ['Findings', summary.findings !== undefined ? `${summary.findings} (${summary.passed ?? 0} passed)` : '—'],
    ['Problems', failedCounts(scan.summary)],
    ['New issues', String(summary.new ?? '—')],
    ['Reopened', String(summary.reopened ?? '—')],
    ['Resolved', String(summary.resolved ?? '—')],
    ['Still open', String(summary.still_open ?? '—')],
    ['Posture after', summary.posture?.score !== undefined ? `${summary.posture.score} (${summary.posture.grade ?? '?'})` : '—'],
  ];
  return (
    <Card title={scan.status === 'failed' ? 'The scan failed' : 'Summary'}>
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        {items.map(([name, value]) => (
          <div key={name} className="rounded-lg bg-slate-50 px-3 py-2">
            <dt className="text-xs text-slate-500">{name}</dt>
            <dd className="text-sm font-semibold text-slate-800">{value}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}

function ErrorsCard({ errors }: { errors: Record<string, unknown>[] }) {
  return (
    <Card title="Checks that could not run" description="Nothing is concluded from them: no pass, no fail.">
      <ul aria-label="Scan errors" className="space-y-1.5 text-sm">
        {errors.map((error, i) => (
          <li key={i} className="rounded-lg bg-amber-50 px-3 py-2 text-amber-900">
            <span className="font-medium">
              {label(CATEGORY_LABELS, String(error.check ?? 'check'))}
              {error.target ? ` · ${String(error.target)}` : ''}:
            </span>{' '}
            {String(error.error ?? 'failed')}
          </li>
        ))}
      </ul>
    </Card>
  );
}

const REPORT_TITLES: Record<string, string> = {
  web: 'Web headers',
  tls: 'TLS',
  dns: 'DNS and e-mail',
  network: 'Open ports',
  platform: 'Platform',
  devices: 'Devices',
  discovery: 'Network discovery',
};

function ReportSection({ report }: { report: ScanReport }) {
  const title = `${REPORT_TITLES[report.check] ?? label(CATEGORY_LABELS, report.check)} — ${report.target}`;
  return (
    <Card title={title} aria-label={title}>
      {report.error ? <p className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900">{report.error}</p> : <ReportBody report={report} />}
    </Card>
  );
}

function ReportBody({ report }: { report: ScanReport }) {
  const data = report.report;
  switch (report.check) {
    case 'web':
      return <WebReportView report={data as HeadersReport} caption={`Header tests for ${report.target}`} />;
    case 'tls':
      return <TlsReportView report={data as TlsReport} />;
    case 'dns':
      return <DnsReportView report={data as DnsReport} />;
    case 'network':
      return <NetworkReportView report={data as PortScanReport} />;
    case 'platform':
      return (
        <p className="text-sm text-slate-600">
          Checked {Number(data.members ?? 0)} member(s), {Number(data.api_keys ?? 0)} API key(s) and {Number(data.connections ?? 0)} connection(s): MFA, admin count, key age, audit retention.
        </p>
      );
    case 'devices':
      return <p className="text-sm text-slate-600">Checked {Number(data.devices ?? 0)} device(s) reported by the agent for vulnerable software and settings.</p>;
    case 'discovery': {
      const hosts = Array.isArray(data.hosts) ? (data.hosts as { ip?: string; hostname?: string | null }[]) : [];
      return (
        <p className="text-sm text-slate-600">
          {hosts.length} host(s) answered{hosts.length ? `: ${hosts.map((h) => h.hostname || h.ip).join(', ')}` : '.'}
        </p>
      );
    }
    default:
      return <pre className="max-h-72 overflow-auto rounded-lg bg-slate-50 p-2 text-xs">{JSON.stringify(data, null, 2)}</pre>;
  }
}

function FindingsCard({ findings }: { findings: ScanFinding[] }) {
  const sorted = [...findings].sort((a, b) => Number(a.passed) - Number(b.passed) || (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0) || a.title.localeCompare(b.title));
  const failed = findings.filter((f) => !f.passed).length;
  const columns: Column<ScanFinding>[] = [
    { key: 'result', header: 'Result', cell: (f) => (f.passed ? <Badge tone="success">Passed</Badge> : <Badge tone="danger">Failed</Badge>) },
    { key: 'severity', header: 'Severity', cell: (f) => <SeverityBadge severity={f.severity} /> },
    {
      key: 'title',
      header: 'Finding',
      cell: (f) => (
        <div className="min-w-0">
          <p className="font-medium text-slate-800">{f.title}</p>
          {!f.passed && f.remediation && <p className="text-xs text-slate-500">{f.remediation}</p>}
        </div>
      ),
    },
    { key: 'category', header: 'Category', cell: (f) => label(CATEGORY_LABELS, f.category) },
    { key: 'target', header: 'Target', cell: (f) => <span className="break-all text-xs">{f.target}</span> },
  ];
  return (
    <Card title="Findings" description={`${failed} failed, ${findings.length - failed} passed. Failed findings become issues.`} padded={false}>
      <div className="p-2">
        <Table caption="Findings" columns={columns} rows={sorted} rowKey={(f) => f.id} empty="No findings." />
      </div>
    </Card>
  );
}
