/**
 * /security: the posture score (gauge, grade), its four parts with every deduction, the score's trend,
 * open issues by severity and the newest unacknowledged alerts, with "Run a scan".
 */
import { Link } from 'react-router';
import { Card, EmptyState, PageHeader, PageSpinner, ProblemAlert, QueryView } from '../../../components';
import { TrendLineChart, type ChartRow } from '../../../components/charts';
import { IconShield } from '../../../components/Icons';
import { formatCompactDateTime, formatDate, formatDateTime } from '../../../lib/format';
import { AlertList } from '../alerts/AlertList';
import { useAlerts, useAssets, usePosture } from '../hooks';
import { formatChange, SEVERITY_COLORS, SEVERITY_LABELS } from '../labels';
import { RunScanButton } from '../shared';
import { SEVERITIES, type Posture, type PosturePart } from '../types';
import { PartsCard } from './PartsCard';
import { ScoreGauge } from './ScoreGauge';

export function OverviewPage() {
  const posture = usePosture();
  const assets = useAssets();
  if (posture.isPending) return <PageSpinner label="Loading the security overview" />;
  if (posture.isError || !posture.data) return <ProblemAlert error={posture.error} title="Could not load the security posture" />;
  const data = posture.data;
  const noAssets = assets.data !== undefined && assets.data.length === 0;
  return (
    <div className="space-y-5">
      <PageHeader
        title="Cybersecurity Scanner"
        description={data.last_scan_at ? `Last scan finished ${formatDateTime(data.last_scan_at)}.` : 'No scan has finished yet.'}
        actions={<RunScanButton />}
      />
      {noAssets && (
        <EmptyState
          icon={<IconShield className="h-6 w-6" />}
          title="No assets yet — add your domain to start"
          description="Register your website, e-mail domain or office network; scans then grade its headers, TLS, e-mail protection and open ports."
          action={
            <Link to="/security/assets" className="rounded-lg bg-brand-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-brand-700">
              Add an asset
            </Link>
          }
        />
      )}
      <div className="grid gap-5 lg:grid-cols-3">
        <ScoreCard posture={data} />
        <div className="lg:col-span-2">
          <PartsCard parts={data.parts as unknown as PosturePart[]} />
        </div>
      </div>
      <div className="grid gap-5 lg:grid-cols-3">
        <TrendCard posture={data} />
        <OpenIssuesCard counts={data.open_issues} />
      </div>
      <NewestAlerts />
    </div>
  );
}

function ScoreCard({ posture }: { posture: Posture }) {
  return (
    <Card title="Security posture" description="0–100, from open issues and MFA adoption.">
      <ScoreGauge score={posture.score} grade={posture.grade} />
      <dl className="mt-4 grid grid-cols-2 gap-3 text-center text-sm">
        <TrendNumber label="7 days" value={posture.trend.days_7} />
        <TrendNumber label="30 days" value={posture.trend.days_30} />
      </dl>
    </Card>
  );
}

function TrendNumber({ label, value }: { label: string; value: number | null | undefined }) {
  const tone = value === null || value === undefined || value === 0 ? 'text-slate-700' : value > 0 ? 'text-emerald-700' : 'text-red-700';
  return (
    <div className="rounded-lg bg-slate-50 px-3 py-2">
      <dt className="text-xs text-slate-500">Change over {label}</dt>
      <dd className={`text-lg font-semibold tabular-nums ${tone}`}>{formatChange(value)}</dd>
    </div>
  );
}

function TrendCard({ posture }: { posture: Posture }) {
  const rows: ChartRow[] = posture.history.map((point) => ({ taken_at: point.taken_at, score: point.score }));
  // Within a day or two the time of each snapshot tells them apart; over weeks the date is enough.
  const first = posture.history[0]?.taken_at;
  const last = posture.history[posture.history.length - 1]?.taken_at;
  const spansDays = first !== undefined && last !== undefined && Date.parse(last) - Date.parse(first) > 2 * 86_400_000;
  return (
    <Card title="Score over time" description="After every scan and every change of an issue's status." className="lg:col-span-2">
      {rows.length < 2 ? (
        <p className="py-10 text-center text-sm text-slate-500">The trend appears after two scans.</p>
      ) : (
        <div className="h-56">
          <TrendLineChart
            title="Security posture score over time"
            data={rows}
            xKey="taken_at"
            xLabel="Date"
            series={[{ key: 'score', label: 'Score', color: '#4f46e5' }]}
            formatX={(value) => (spansDays ? formatDate : formatCompactDateTime)(typeof value === 'string' ? value : null)}
            formatValue={(value) => value.toFixed(1)}
            formatTick={(value) => String(Math.round(value))}
          />
        </div>
      )}
    </Card>
  );
}

function OpenIssuesCard({ counts }: { counts: Record<string, number> }) {
  const total = SEVERITIES.reduce((sum, severity) => sum + (counts[severity] ?? 0), 0);
  const largest = Math.max(1, ...SEVERITIES.map((severity) => counts[severity] ?? 0));
  return (
    <Card title="Open issues" description={total === 0 ? 'Nothing open.' : `${total} open, by severity.`} actions={<Link to="/security/issues?status=open&status=in_progress" className="text-sm font-medium text-brand-700 hover:text-brand-800">All issues</Link>}>
      <ul aria-label="Open issues by severity" className="space-y-3">
        {SEVERITIES.map((severity) => {
          const count = counts[severity] ?? 0;
          return (
            <li key={severity} aria-label={`${SEVERITY_LABELS[severity]}: ${count}`}>
              <Link to={`/security/issues?status=open&status=in_progress&severity=${severity}`} className="group block">
                <div className="flex justify-between text-sm">
                  <span className="font-medium text-slate-700 group-hover:text-brand-700">{SEVERITY_LABELS[severity]}</span>
                  <span className="tabular-nums text-slate-700">{count}</span>
                </div>
                <div className="mt-1 h-2 w-full rounded-full bg-slate-100" aria-hidden="true">
                  <div className="h-full rounded-full" style={{ width: `${(count / largest) * 100}%`, backgroundColor: SEVERITY_COLORS[severity] }} />
                </div>
              </Link>
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

function NewestAlerts() {
  const alerts = useAlerts({ unacknowledged: true, limit: 5, offset: 0 });
  return (
    <Card title="Newest alerts" description="Not yet acknowledged." actions={<Link to="/security/alerts" className="text-sm font-medium text-brand-700 hover:text-brand-800">All alerts</Link>}>
      <QueryView query={alerts} loadingLabel="Loading alerts" errorTitle="Could not load alerts">
        {(page) => (page.items.length === 0 ? <p className="text-sm text-slate-500">No unacknowledged alerts.</p> : <AlertList alerts={page.items} label="Newest alerts" />)}
      </QueryView>
    </Card>
  );
}
