import type { Cell } from '../types';
import { labelOf, type ChartColumn } from './chartData';
import { formatCell } from './format';

const NUMERIC = new Set(['integer', 'number', 'money', 'percent']);
export const TABLE_ROWS_SHOWN = 100;

interface DataTableProps {
  caption: string;
  columns: ChartColumn[];
  rows: Cell[][];
  currency?: string | null;
  /** Show at most this many rows (a result may hold thousands). */
  maxRows?: number;
}

/** A result's rows with each cell formatted by its column type. */
export function DataTable({ caption, columns, rows, currency, maxRows = TABLE_ROWS_SHOWN }: DataTableProps) {
  const shown = rows.slice(0, maxRows);
  return (
    <div className="max-h-80 overflow-auto rounded-lg ring-1 ring-slate-200">
      <table className="min-w-full divide-y divide-slate-200 text-xs">
        <caption className="sr-only">{caption}</caption>
        <thead className="sticky top-0 bg-slate-50">
          <tr>
            {columns.map((column) => (
              <th
                key={column.name}
                scope="col"
                className={`whitespace-nowrap px-3 py-2 font-semibold text-slate-600 ${NUMERIC.has(column.type) ? 'text-right' : 'text-left'}`}
              >
                {labelOf(column)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 bg-white">
          {shown.map((row, r) => (
            <tr key={r}>
              {columns.map((column, c) => (
                <td
                  key={column.name}
                  className={`whitespace-nowrap px-3 py-1.5 text-slate-700 ${NUMERIC.has(column.type) ? 'text-right tabular-nums' : ''}`}
                >
                  {formatCell(row[c], column.type, { currency, name: column.name })}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > shown.length && (
        <p className="border-t border-slate-100 bg-slate-50 px-3 py-1.5 text-xs text-slate-500">
          Showing {shown.length} of {rows.length} rows.
        </p>
      )}
    </div>
  );
}
