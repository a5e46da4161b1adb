import { Badge, Table, type Column } from '../../../components';
import { GradeBadge } from '../badges';
import type { HeaderTest, HeadersReport } from '../types';

const TEST_NAMES: Record<string, string> = {
  'content-security-policy': 'Content Security Policy',
  cookies: 'Cookies',
  'cross-origin-resource-sharing': 'Cross-origin resource sharing',
  redirection: 'Redirection',
  'referrer-policy': 'Referrer Policy',
  'strict-transport-security': 'Strict Transport Security (HSTS)',
  'subresource-integrity': 'Subresource Integrity',
  'x-content-type-options': 'X-Content-Type-Options',
  'x-frame-options': 'X-Frame-Options',
  'cross-origin-resource-policy': 'Cross-Origin-Resource-Policy',
  'cross-origin-opener-policy': 'Cross-Origin-Opener-Policy',
  'cross-origin-embedder-policy': 'Cross-Origin-Embedder-Policy',
};

export function testName(name: string): string {
  return TEST_NAMES[name] ?? name.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

function modifier(value: number): string {
  if (value === 0) return '0';
  return value > 0 ? `+${value}` : `−${Math.abs(value)}`;
}

/** The Observatory-style header grade and its test table: each test's result, score modifier and pass/fail. */
export function WebReportView({ report, caption = 'Header tests' }: { report: HeadersReport; caption?: string }) {
  const tests = report.tests ?? [];
  const columns: Column<HeaderTest>[] = [
    { key: 'test', header: 'Test', cell: (t) => <span className="font-medium text-slate-800">{testName(t.name)}</span> },
    {
      key: 'pass',
      header: 'Pass',
      cell: (t) => (t.passed ? <Badge tone="success">Pass</Badge> : <Badge tone="danger">Fail</Badge>),
    },
    {
      key: 'modifier',
      header: 'Score',
      cell: (t) => <span className={t.score_modifier < 0 ? 'font-medium tabular-nums text-red-700' : 'tabular-nums text-slate-700'}>{modifier(t.score_modifier)}</span>,
    },
    {
      key: 'result',
      header: 'Result',
      cell: (t) => (
        <div className="min-w-0 space-y-0.5">
          <p className="text-slate-700">{t.description}</p>
          <code className="text-xs text-slate-500">{t.result}</code>
        </div>
      ),
    },
  ];
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-3 text-sm text-slate-600">
        <span className="text-base" data-testid="web-grade">
          <GradeBadge grade={report.grade} what="Headers" />
        </span>
        {report.score !== undefined && <span>Score {report.score} / 100</span>}
        {report.tests_passed !== undefined && (
          <span>
            {report.tests_passed} passed, {report.tests_failed ?? 0} failed
          </span>
        )}
        {report.status_code !== undefined && <span>HTTP {report.status_code}</span>}
        {report.final_url && report.final_url !== report.url && <span className="break-all">ended at {report.final_url}</span>}
      </div>
      <Table caption={caption} columns={columns} rows={tests} rowKey={(t) => t.name} empty="No tests ran." />
    </div>
  );
}
