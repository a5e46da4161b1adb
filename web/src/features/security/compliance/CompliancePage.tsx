import { Link } from 'react-router';
import { Card, PageHeader, QueryView } from '../../../components';
import { CONTROL_STATUS_LABELS } from '../labels';
import type { FrameworkSummary } from '../types';
import { useFrameworks } from '../hooks';
import { CompletionMeter, formatPercent } from './CompletionMeter';

const SHOWN_COUNTS = ['passing', 'manual_met', 'failing', 'needs_evidence', 'review_overdue', 'not_applicable'] as const;

/** /security/compliance: one card per framework with how much is done. */
export function CompliancePage() {
  const frameworks = useFrameworks();
  return (
    <div className="space-y-5">
      <PageHeader title="Compliance" description="SOC 2, GDPR, HIPAA and PCI DSS controls: met by passing scan findings or by your own attested review, with evidence and exportable reports." />
      <QueryView query={frameworks} loadingLabel="Loading frameworks" errorTitle="Could not load compliance">
        {(list) => (
          <ul aria-label="Frameworks" className="grid gap-5 md:grid-cols-2">
            {list.map((framework) => (
              <FrameworkCard key={framework.framework} framework={framework} />
            ))}
          </ul>
        )}
      </QueryView>
    </div>
  );
}

function FrameworkCard({ framework }: { framework: FrameworkSummary }) {
  const total = Object.values(framework.counts).reduce((sum, n) => sum + n, 0);
  return (
    <li aria-label={framework.name}>
      <Card
        title={
          <Link to={`/security/compliance/${framework.framework}`} className="hover:text-brand-700">
            {framework.name}
          </Link>
        }
        description={`Version ${framework.version} · ${total} controls`}
        actions={<span className="text-2xl font-semibold tabular-nums text-slate-900">{formatPercent(framework.percent_complete)}</span>}
      >
        <CompletionMeter label={`${framework.name} complete`} percent={framework.percent_complete} />
        <dl className="mt-4 grid grid-cols-3 gap-2 text-center">
          {SHOWN_COUNTS.map((status) => (
            <div key={status} className="rounded-lg bg-slate-50 px-2 py-1.5">
              <dt className="text-xs text-slate-500">{CONTROL_STATUS_LABELS[status]}</dt>
              <dd className="text-sm font-semibold tabular-nums text-slate-800">{framework.counts[status] ?? 0}</dd>
            </div>
          ))}
        </dl>
        <Link to={`/security/compliance/${framework.framework}`} className="mt-4 inline-block text-sm font-medium text-brand-700 hover:text-brand-800">
          Open {framework.name}
        </Link>
      </Card>
    </li>
  );
}
