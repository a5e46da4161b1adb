import { Card, EmptyState, QueryView, Table, type Column } from '../../../components';
import { CategoryBarChart } from '../../../components/charts';
import { IconUsers } from '../../../components/Icons';
import { formatDay, formatValue } from '../format';
import { useSegments } from './hooks';
import type { SegmentOut, SegmentsOut } from './types';

const percent = (value: number) => formatValue(value, 'percent');

function segmentColumns(currency: string | null): Column<SegmentOut>[] {
  return [
    {
      key: 'segment',
      header: 'Segment',
      cell: (s) => (
        <div>
          <p className="font-medium text-slate-900">{s.label}</p>
          <p className="text-xs text-slate-500">{s.description}</p>
        </div>
      ),
    },
    { key: 'customers', header: 'Customers', className: 'text-right tabular-nums', cell: (s) => formatValue(s.customers, 'integer') },
    { key: 'revenue', header: 'Revenue, 12 months', className: 'text-right tabular-nums', cell: (s) => formatValue(s.revenue, 'money', { currency }) },
    { key: 'share', header: 'Revenue share', className: 'text-right tabular-nums', cell: (s) => percent(s.revenue_share) },
    {
      key: 'recency',
      header: 'Days since last order',
      className: 'text-right tabular-nums',
      cell: (s) => (s.average_recency_days === null ? '—' : formatValue(s.average_recency_days, 'integer')),
    },
  ];
}

function Segments({ data }: { data: SegmentsOut }) {
  const populated = data.segments.filter((s) => s.customers > 0);
  if (populated.length === 0) {
    return (
      <EmptyState
        icon={<IconUsers className="h-6 w-6" />}
        title="No customers to segment yet"
        description="Segments need customers with orders. Connect a store or import orders to see who your champions are."
      />
    );
  }
  // Shares of customers and of revenue side by side: where a segment's money outweighs its headcount.
  const rows = populated.map((s) => ({ x: s.label, customers: s.customer_share, revenue: s.revenue_share }));
  return (
    <div className="space-y-5">
      <div style={{ height: Math.max(220, rows.length * 34 + 40) }}>
        <CategoryBarChart
          title="Customer segments: share of customers and of revenue"
          data={rows}
          xKey="x"
          xLabel="Segment"
          series={[
            { key: 'customers', label: 'Share of customers' },
            { key: 'revenue', label: 'Share of revenue' },
          ]}
          formatValue={percent}
          horizontal
        />
      </div>
      <Table caption="Customer segments" columns={segmentColumns(data.currency)} rows={populated} rowKey={(s) => s.segment} />
    </div>
  );
}

/** RFM segments (recency, frequency, money): how many customers each holds and its share of revenue. */
export function SegmentsPanel({ className }: { className?: string }) {
  const segments = useSegments();
  const data = segments.data;
  return (
    <Card
      title="Customer segments"
      description={
        data
          ? `${formatValue(data.total_customers, 'integer')} customers scored on recency, frequency and spend, as of ${formatDay(data.as_of)}.`
          : 'Customers scored on recency, frequency and spend.'
      }
      className={className}
    >
      <QueryView query={segments} loadingLabel="Loading segments…" errorTitle="Could not load the segments">
        {(loaded) => <Segments data={loaded} />}
      </QueryView>
    </Card>
  );
}
