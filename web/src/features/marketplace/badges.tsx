import { Badge } from '../../components';
import { cn } from '../../lib/cn';
import {
  differenceMeaning,
  differenceTone,
  formatPercent,
  label,
  LISTING_STATUS_LABELS,
  listingStatusTone,
  POSITION_LABELS,
  POSITION_TONES,
  SOURCE_LABELS,
} from './format';
import type { Listing, Position } from './types';

export function PositionBadge({ position, rank, ranked }: { position: Position | null | undefined; rank?: number | null; ranked?: number }) {
  if (!position) return <span className="text-slate-400">—</span>;
  return (
    <span className="inline-flex flex-col items-start gap-0.5">
      <Badge tone={POSITION_TONES[position] ?? 'neutral'}>{POSITION_LABELS[position] ?? position}</Badge>
      {rank != null && ranked !== undefined && ranked > 1 && (
        <span className="text-xs text-slate-500">
          #{rank} of {ranked}
        </span>
      )}
    </span>
  );
}

export function ListingStatusBadge({ status }: { status: string }) {
  return <Badge tone={listingStatusTone(status)}>{label(LISTING_STATUS_LABELS, status)}</Badge>;
}

export function SourceBadge({ source }: { source: string }) {
  return <Badge tone={source === 'discovered' ? 'brand' : 'neutral'}>{label(SOURCE_LABELS, source)}</Badge>;
}

/** A signed percentage, coloured (dearer: amber/red, cheaper: green), with its meaning for screen readers. */
export function Difference({ value, against, className }: { value: string | number | null | undefined; against?: string; className?: string }) {
  if (value === null || value === undefined || value === '') return <span className="text-slate-400">—</span>;
  const meaning = differenceMeaning(value, against);
  return (
    <span title={meaning} className={cn('font-medium tabular-nums', differenceTone(value), className)}>
      {formatPercent(value)}
      <span className="sr-only"> ({meaning})</span>
    </span>
  );
}

/** "2 OK · 1 failing · 1 waiting": how many of a product's listings read a price at their last check. */
export function ListingHealth({ listings }: { listings: Listing[] }) {
  if (listings.length === 0) return <span className="text-slate-400">No listings</span>;
  const ok = listings.filter((l) => l.status === 'ok').length;
  const pending = listings.filter((l) => l.status === 'pending').length;
  const failing = listings.length - ok - pending;
  return (
    <span className="flex flex-wrap gap-1">
      {ok > 0 && <Badge tone="success">{ok} OK</Badge>}
      {failing > 0 && <Badge tone="danger">{failing} failing</Badge>}
      {pending > 0 && <Badge>{pending} waiting</Badge>}
    </span>
  );
}
