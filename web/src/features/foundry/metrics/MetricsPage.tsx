import { useState } from 'react';
import { Badge, Button, Card, ConfirmDialog, PageHeader, ProblemAlert, QueryView, SuccessAlert, Table, type Column } from '../../../components';
import { IconPlus } from '../../../components/Icons';
import { canWrite, useRole } from '../../auth/session';
import { useCatalog } from '../hooks';
import type { MetricOut } from '../types';
import { CustomMetricDialog, FORMAT_LABELS } from './CustomMetricDialog';
import { useDeleteCustomMetric } from './hooks';

function MetricCell({ metric }: { metric: MetricOut }) {
  return (
    <div className="min-w-40">
      <p className="font-medium text-slate-900">{metric.label}</p>
      <p className="font-mono text-xs text-slate-500">{metric.name}</p>
    </div>
  );
}

function metricColumns(onDelete: ((metric: MetricOut) => void) | null): Column<MetricOut>[] {
  const columns: Column<MetricOut>[] = [
    { key: 'metric', header: 'Metric', cell: (metric) => <MetricCell metric={metric} /> },
    { key: 'description', header: 'Description', cell: (metric) => metric.description || '—', className: 'max-w-md' },
    { key: 'format', header: 'Format', cell: (metric) => <Badge>{FORMAT_LABELS[metric.format]}</Badge> },
    {
      key: 'formula',
      header: 'Formula',
      cell: (metric) => (metric.formula ? <code className="font-mono text-xs text-slate-700">{metric.formula}</code> : '—'),
    },
  ];
  if (onDelete) {
    columns.push({
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      className: 'text-right',
      cell: (metric) => (
        <Button variant="ghost" size="sm" className="text-red-600" aria-label={`Delete ${metric.label}`} onClick={() => onDelete(metric)}>
          Delete
        </Button>
      ),
    });
  }
  return columns;
}

/**
 * /foundry/metrics: the metric catalogue, built-in and custom, and (for members and admins)
 * custom metrics made from the base measures.
 */
export function MetricsPage() {
  const catalog = useCatalog();
  const writer = canWrite(useRole());
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<MetricOut | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useDeleteCustomMetric(() => {
    setNotice(`Deleted “${deleting?.label ?? 'the metric'}”.`);
    setDeleting(null);
  });

  const closeDelete = () => {
    setDeleting(null);
    remove.reset();
  };

  return (
    <div>
      <PageHeader
        title="Metrics"
        description="What dashboards, reports and questions can measure. Custom metrics combine the base measures with a formula."
        actions={
          writer && (
            <Button icon={<IconPlus className="h-4 w-4" />} onClick={() => setCreating(true)} disabled={!catalog.data}>
              New metric
            </Button>
          )
        }
      />
      {notice && <SuccessAlert className="mb-4">{notice}</SuccessAlert>}
      <QueryView query={catalog} loadingLabel="Loading metrics" errorTitle="Could not load the metrics">
        {(data) => {
          const custom = data.metrics.filter((metric) => metric.custom);
          const builtIn = data.metrics.filter((metric) => !metric.custom);
          return (
            <div className="space-y-6">
              <Card title="Custom metrics" description={writer ? undefined : 'Members and admins of your company can add custom metrics.'} padded={false}>
                <Table
                  caption="Custom metrics"
                  columns={metricColumns(writer ? setDeleting : null)}
                  rows={custom}
                  rowKey={(metric) => metric.id ?? metric.name}
                  empty="No custom metrics yet."
                />
              </Card>
              <Card title="Built-in metrics" padded={false}>
                <Table caption="Built-in metrics" columns={metricColumns(null)} rows={builtIn} rowKey={(metric) => metric.name} />
              </Card>
              {writer && (
                <CustomMetricDialog
                  open={creating}
                  onClose={() => setCreating(false)}
                  catalog={data}
                  onCreated={(metric) => setNotice(`Created “${metric.label}”: it is now in the metric lists of dashboards and questions.`)}
                />
              )}
            </div>
          );
        }}
      </QueryView>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.label ?? 'this metric'}?`}
        description="Dashboard widgets and reports that show it will report an error until they are changed."
        confirmLabel="Delete metric"
        onConfirm={() => deleting?.id && remove.mutate(deleting.id)}
        onClose={closeDelete}
        busy={remove.isPending}
        error={remove.isError && <ProblemAlert className="mt-3" error={remove.error} title="Could not delete the metric" />}
      />
    </div>
  );
}
