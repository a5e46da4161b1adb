import { cn } from '../../../lib/cn';
import { comparisonLookup, dimensionColumns, formatDimension, rowDrill } from '../chartData';
import { formatChange, formatValue, relativeChange } from '../format';
import type { Cell, QueryResult } from '../types';
import type { DrillHandler } from './context';

interface TableWidgetProps {
  title: string;
  result: QueryResult;
  onDrill?: DrillHandler;
}

function cellText(result: QueryResult, index: number, value: Cell): string {
  const column = result.columns[index]!;
  if (column.kind === 'dimension') return formatDimension(column, value);
  return formatValue(value, column.type, { currency: result.currency });
}

/** The result as a table; each row opens the rows behind it; a change column when comparing. */
export function TableWidget({ title, result, onDrill }: TableWidgetProps) {
  const dims = dimensionColumns(result);
  const firstMetric = result.columns.findIndex((c) => c.kind === 'metric');
  const previousOf = comparisonLookup(result);
  const comparing = Boolean(result.comparison) && firstMetric >= 0 && dims.length > 0;
  const numeric = (i: number) => result.columns[i]!.kind === 'metric';

  return (
    <div className="h-full overflow-auto">
      <table className="min-w-full text-sm">
        <caption className="sr-only">{title}</caption>
        <thead className="sticky top-0 bg-white">
          <tr className="border-b border-slate-200">
            {result.columns.map((column, i) => (
              <th key={column.name} scope="col" className={cn('whitespace-nowrap px-2 py-1.5 text-xs font-semibold text-slate-500', numeric(i) ? 'text-right' : 'text-left')}>
                {column.label}
              </th>
            ))}
            {comparing && (
              <th scope="col" className="whitespace-nowrap px-2 py-1.5 text-right text-xs font-semibold text-slate-500">
                Change
              </th>
            )}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {result.rows.map((row, rowIndex) => {
            const change = comparing ? relativeChange(typeof row[firstMetric] === 'number' ? (row[firstMetric] as number) : null, previousOf(row, rowIndex, firstMetric)) : null;
            return (
              <tr key={rowIndex} className="hover:bg-slate-50">
                {row.map((value, i) => {
                  const text = cellText(result, i, value);
                  const first = i === 0;
                  return (
                    <td key={i} className={cn('px-2 py-1.5 text-slate-700', numeric(i) ? 'w-px text-right tabular-nums whitespace-nowrap' : 'max-w-40 truncate')}>
                      {first && onDrill ? (
                        <button
                          type="button"
                          className="max-w-full truncate text-left font-medium text-brand-700 hover:underline"
                          title={`Show the rows behind ${text}`}
                          onClick={() => {
                            const target = rowDrill(result, row);
                            if (target) onDrill(target);
                          }}
                        >
                          {text}
                        </button>
                      ) : (
                        text
                      )}
                    </td>
                  );
                })}
                {comparing && (
                  <td className={cn('px-2 py-1.5 text-right tabular-nums whitespace-nowrap', change === null ? 'text-slate-400' : change >= 0 ? 'text-emerald-700' : 'text-red-700')}>
                    {change === null ? '—' : formatChange(change)}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {result.truncated && <p className="px-2 py-1.5 text-xs text-slate-500">Showing the first {result.rows.length} rows.</p>}
    </div>
  );
}
