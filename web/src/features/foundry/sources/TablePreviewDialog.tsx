import { Dialog, QueryView } from '../../../components';
import { useTablePreview } from './hooks';
import type { ExternalTable, TablePreview } from './types';

interface TablePreviewDialogProps {
  sourceId: string;
  sourceName: string;
  table: ExternalTable | null;
  onClose: () => void;
}

/** A JSON cell as text: null marked, objects (JSON columns) as JSON. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '∅';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function PreviewTable({ preview, table }: { preview: TablePreview; table: ExternalTable }) {
  const types = new Map(table.columns.map((c) => [c.name, c.type]));
  if (preview.rows.length === 0) return <p className="py-6 text-center text-sm text-slate-500">The table is empty.</p>;
  return (
    <div className="space-y-2">
      <div className="max-h-[60vh] overflow-auto rounded-lg ring-1 ring-slate-200">
        <table className="min-w-full divide-y divide-slate-200 text-xs">
          <caption className="sr-only">First rows of {preview.table}</caption>
          <thead className="sticky top-0 bg-slate-50">
            <tr>
              {preview.columns.map((column) => (
                <th key={column} scope="col" className="whitespace-nowrap px-3 py-2 text-left font-semibold text-slate-700">
                  {column}
                  {types.get(column) && <span className="ml-1 font-normal text-slate-400">{types.get(column)}</span>}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 bg-white font-mono">
            {preview.rows.map((row, r) => (
              <tr key={r}>
                {row.map((value, c) => (
                  <td key={c} className={value === null || value === undefined ? 'px-3 py-1.5 text-slate-400' : 'max-w-xs truncate px-3 py-1.5 text-slate-800'} title={cellText(value)}>
                    {cellText(value)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="text-xs text-slate-500">
        {preview.truncated ? `The first ${preview.rows.length} rows.` : `All ${preview.rows.length} rows.`} Read-only; nothing is copied into Binelek.
      </p>
    </div>
  );
}

/** The first rows of an external table, read when opened. */
export function TablePreviewDialog({ sourceId, sourceName, table, onClose }: TablePreviewDialogProps) {
  const preview = useTablePreview(table ? sourceId : null, table?.qualified_name ?? null);
  return (
    <Dialog open={table !== null} onClose={onClose} title={table ? `${table.qualified_name}` : ''} description={`A preview from ${sourceName}.`} size="lg">
      {table && (
        <QueryView query={preview} loadingLabel="Reading the table…" errorTitle="Could not read the table">
          {(data) => <PreviewTable preview={data} table={table} />}
        </QueryView>
      )}
    </Dialog>
  );
}
