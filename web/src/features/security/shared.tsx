/** Pieces several scanner pages share: the "Run a scan" button and a readable view of JSON evidence. */
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { Button, ProblemAlert } from '../../components';
import { canWrite, useRole } from '../auth/session';
import { useStartScan } from './hooks';
import type { ScanIn } from './types';

/** Queues a scan (everything by default) and opens its page, which follows the progress. */
export function RunScanButton({ body = {}, label = 'Run a scan', variant = 'primary' }: { body?: ScanIn; label?: string; variant?: 'primary' | 'secondary' }) {
  const navigate = useNavigate();
  const start = useStartScan();
  const writer = canWrite(useRole());
  if (!writer) return null;
  return (
    <div className="flex flex-col items-end gap-2">
      <Button variant={variant} loading={start.isPending} onClick={() => start.mutate(body, { onSuccess: (scan) => navigate(`/security/scans/${scan.id}`) })}>
        {label}
      </Button>
      {start.error && <ProblemAlert error={start.error} title="Could not start the scan" className="max-w-md" />}
    </div>
  );
}

function isScalar(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function scalarText(value: string | number | boolean | null): string {
  if (value === null) return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return String(value);
}

function humanKey(key: string): string {
  return key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/**
 * Evidence as a two-column table of facts; values that are lists of plain values are joined, and
 * anything nested is shown as indented JSON in its row.
 */
export function EvidenceView({ evidence, caption = 'Evidence' }: { evidence: Record<string, unknown>; caption?: string }) {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return <p className="text-sm text-slate-500">No evidence recorded.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-100 text-sm">
        <caption className="sr-only">{caption}</caption>
        <tbody className="divide-y divide-slate-100">
          {entries.map(([key, value]) => (
            <tr key={key}>
              <th scope="row" className="w-1/4 whitespace-nowrap py-2 pr-4 text-left align-top font-medium text-slate-600">
                {humanKey(key)}
              </th>
              <td className="py-2 align-top text-slate-800">
                {isScalar(value) ? (
                  <span className="break-all">{scalarText(value)}</span>
                ) : Array.isArray(value) && value.every(isScalar) ? (
                  <span className="break-all">{value.length ? value.map((v) => scalarText(v)).join(', ') : '—'}</span>
                ) : (
                  <pre className="max-h-72 overflow-auto rounded-lg bg-slate-50 p-2 font-mono text-xs text-slate-700">{JSON.stringify(value, null, 2)}</pre>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A small "definition" row list for facts (device, certificate). */
export function Facts({ items, label, columns = 2 }: { items: [string, ReactNode][]; label: string; columns?: 1 | 2 }) {
  return (
    <dl aria-label={label} className={columns === 2 ? 'grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2' : 'grid gap-y-2 text-sm'}>
      {items.map(([name, value]) => (
        <div key={name} className="flex justify-between gap-3 border-b border-slate-100 py-1.5">
          <dt className="text-slate-500">{name}</dt>
          <dd className="min-w-0 break-words text-right font-medium text-slate-800">{value ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}
