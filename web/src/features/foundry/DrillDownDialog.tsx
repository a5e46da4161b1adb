import { useState } from 'react';
import { Dialog, Pager, ProblemAlert, Spinner } from '../../components';
import { formatDateTime } from '../../lib/format';
import { cn } from '../../lib/cn';
import type { DrillTarget } from './chartData';
import { describeTimeRange, formatValue } from './format';
import { useDrillDown } from './hooks';
import type { Cell, ColumnOut, DrillDownIn, Filter } from './types';

export const DRILL_PAGE = 25;

export interface DrillRequest {
  target: DrillTarget;
  /** The dashboard's and the widget's filters, which the clicked aggregate was computed under. */
  filters: Filter[];
  currency?: string | null;
}

const ENTITY_WORDS: Record<string, string> = {
  orders: 'orders',
  order_items: 'order lines',
  refunds: 'refunds',
  customers: 'customers',
  invoices: 'invoices',
  deals: 'deals',
  payments: 'payments',
};

function cellText(column: ColumnOut, value: Cell, currency: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  if (column.type === 'time' && typeof value === 'string') return value.includes('T') ? formatDateTime(value) : formatValue(value, 'time');
  if (typeof value === 'number') return formatValue(value, column.type, { currency });
  return String(value);
}

/** The rows behind a clicked aggregate (orders, invoices, …), a page at a time. */
export function DrillDownDialog({ request, onClose }: { request: DrillRequest; onClose: () => void }) {
  const [offset, setOffset] = useState(0);
  const { target, filters, currency } = request;
  const body: DrillDownIn = {
    metric: target.metric,
    filters: [...filters, ...target.filters],
    time_range: target.timeRange,
    offset,
    limit: DRILL_PAGE,
  };
  const rows = useDrillDown(body);
  const data = rows.data;
  const entity = data ? (ENTITY_WORDS[data.entity] ?? data.entity.replace(/_/g, ' ')) : 'rows';

  return (
    <Dialog open onClose={onClose} size="lg" title={target.label} description={`The ${entity} behind this number · ${describeTimeRange(target.timeRange)}`}>
      {rows.isPending ? (
        <div className="flex justify-center py-10">
          <Spinner label="Loading the rows" />
        </div>
      ) : rows.isError || !data ? (
        <ProblemAlert error={rows.error} title="Could not load the rows" />
      ) : data.total === 0 ? (
        <p className="py-6 text-center text-sm text-slate-500">No rows behind this number.</p>
      ) : (
        <div className={cn('space-y-2', rows.isFetching && 'opacity-60')}>
          <p className="text-xs text-slate-500">
            {data.total.toLocaleString()} {entity}
          </p>
          <div className="max-h-[55vh] overflow-auto rounded-lg ring-1 ring-slate-200">
            <table className="min-w-full divide-y divide-slate-200 text-xs">
              <caption className="sr-only">{`Rows behind ${target.label}`}</caption>
              <thead className="sticky top-0 bg-slate-50">
                <tr>
                  {data.columns.map((column) => (
                    <th key={column.name} scope="col" className={cn('whitespace-nowrap px-2 py-2 font-semibold text-slate-600', column.kind === 'metric' || ['money', 'integer', 'number', 'percent'].includes(column.type) ? 'text-right' : 'text-left')}>
                      {column.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 bg-white">
                {data.rows.map((row, i) => (
                  <tr key={offset + i}>
                    {row.map((value, j) => {
                      const column = data.columns[j]!;
                      const numeric = typeof value === 'number';
                      return (
                        <td key={j} className={cn('whitespace-nowrap px-2 py-1.5 text-slate-700', numeric && 'text-right tabular-nums')}>
                          {cellText(column, value, currency)}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager total={data.total} limit={DRILL_PAGE} offset={offset} onChange={setOffset} label="Pages of rows" />
        </div>
      )}
    </Dialog>
  );
}
