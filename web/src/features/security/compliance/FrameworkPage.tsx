import { useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { Button, Card, PageSpinner, ProblemAlert } from '../../../components';
import { canWrite, useRole } from '../../auth/session';
import { downloadComplianceReport } from '../api';
import { useDownload, useFramework } from '../hooks';
import { CONTROL_STATUS_LABELS } from '../labels';
import type { Control, Framework } from '../types';
import { CompletionMeter, formatPercent } from './CompletionMeter';
import { ControlItem } from './ControlItem';

/** /security/compliance/:framework: the controls by category, each with its status, review and evidence. */
export function FrameworkPage() {
  const { framework } = useParams();
  const query = useFramework(framework);
  if (query.isPending) return <PageSpinner label="Loading the framework" />;
  if (query.isError || !query.data) return <ProblemAlert error={query.error} title="Could not load the framework" />;
  return <FrameworkView framework={query.data} />;
}

function byCategory(controls: Control[]): [string, Control[]][] {
  const groups = new Map<string, Control[]>();
  for (const control of controls) {
    const group = groups.get(control.category) ?? [];
    group.push(control);
    groups.set(control.category, group);
  }
  return [...groups.entries()];
}

function FrameworkView({ framework }: { framework: Framework }) {
  const writer = canWrite(useRole());
  const groups = useMemo(() => byCategory(framework.controls), [framework.controls]);
  const report = useDownload((format: 'json' | 'pdf') => downloadComplianceReport(framework.framework, format));
  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <Link to="/security/compliance" className="text-sm text-slate-500 hover:text-brand-700">
            ← Compliance
          </Link>
          <h1 className="mt-1 text-2xl font-semibold tracking-tight text-slate-900">{framework.name}</h1>
          <p className="mt-1 text-sm text-slate-500">Version {framework.version}</p>
        </div>
        <div className="flex gap-2">
          <Button variant="secondary" loading={report.isPending && report.variables === 'json'} onClick={() => report.mutate('json')}>
            Export JSON
          </Button>
          <Button variant="secondary" loading={report.isPending && report.variables === 'pdf'} onClick={() => report.mutate('pdf')}>
            Export PDF
          </Button>
        </div>
      </div>
      <ProblemAlert error={report.error} title="Could not export the report" />
      <Card>
        <div className="flex items-center gap-4">
          <span className="text-3xl font-semibold tabular-nums text-slate-900" data-testid="percent-complete">
            {formatPercent(framework.percent_complete)}
          </span>
          <div className="flex-1">
            <CompletionMeter label={`${framework.name} complete`} percent={framework.percent_complete} />
            <p className="mt-1.5 text-xs text-slate-500">
              {Object.entries(framework.counts)
                .filter(([, n]) => n > 0)
                .map(([status, n]) => `${n} ${(CONTROL_STATUS_LABELS[status] ?? status).toLowerCase()}`)
                .join(' · ')}
            </p>
          </div>
        </div>
      </Card>
      {groups.map(([category, controls]) => (
        <section key={category} aria-labelledby={`cat-${category}`} className="space-y-2">
          <h2 id={`cat-${category}`} className="text-base font-semibold text-slate-900">
            {category}
          </h2>
          <ul className="space-y-2">
            {controls.map((control) => (
              <ControlItem key={control.id} framework={framework.framework} control={control} writer={writer} />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
