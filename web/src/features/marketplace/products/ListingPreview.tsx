/** What tracking a URL would read (title, price, currency, availability, image, how and how sure), or why it could not. */
import { Badge, ProblemAlert, Spinner } from '../../../components';
import { Facts } from '../shared';
import { formatAvailability, formatMoney, label, METHOD_LABELS, OUTCOME_LABELS } from '../format';
import type { Preview } from '../types';

interface ListingPreviewProps {
  url: string;
  pending: boolean;
  error: unknown;
  preview: Preview | undefined;
  /** The URL or options changed since this preview was read. */
  stale: boolean;
}

/** Below this the extractor is guessing: say so, and suggest the selector that removes the guess. */
const LOW_CONFIDENCE = 0.5;

export function ListingPreview({ url, pending, error, preview, stale }: ListingPreviewProps) {
  if (!pending && !error && !preview) return null;
  return (
    <section aria-label={`Preview of ${url || 'the listing'}`} aria-live="polite" className="rounded-lg bg-slate-50 p-3 ring-1 ring-inset ring-slate-200">
      {pending ? (
        <Spinner label="Reading the page…" />
      ) : error ? (
        <ProblemAlert error={error} title="Could not preview the page" />
      ) : preview ? (
        <PreviewBody preview={preview} />
      ) : null}
      {stale && !pending && <p className="mt-2 text-xs font-medium text-amber-700">The URL or its options changed since this preview: preview again to see what will be read.</p>}
    </section>
  );
}

function PreviewBody({ preview }: { preview: Preview }) {
  const read = preview.outcome === 'ok' && preview.price !== null;
  const confidence = Math.round(preview.confidence * 100);
  if (!read) {
    return (
      <div className="space-y-1 text-sm">
        <p className="flex flex-wrap items-center gap-2">
          <Badge tone="danger">{label(OUTCOME_LABELS, preview.outcome)}</Badge>
          {preview.title && <span className="font-medium text-slate-800">{preview.title}</span>}
        </p>
        {preview.detail && <p className="text-slate-700">{preview.detail}</p>}
        <p className="text-xs text-slate-500">You can still save it: the listing is checked again on schedule. A CSS selector or “Needs JavaScript” often helps.</p>
      </div>
    );
  }
  return (
    <div className="flex gap-3">
      {preview.image && (
        <img src={preview.image} alt={preview.title ?? 'Product image'} referrerPolicy="no-referrer" loading="lazy" className="h-20 w-20 shrink-0 rounded-md bg-white object-contain ring-1 ring-slate-200" />
      )}
      <div className="min-w-0 flex-1 space-y-2">
        <div>
          <p className="truncate text-sm font-medium text-slate-900" title={preview.title ?? undefined}>
            {preview.title ?? 'Untitled page'}
          </p>
          <p className="text-xl font-semibold tabular-nums text-slate-900" data-testid="preview-price">
            {formatMoney(preview.price, preview.currency)}
          </p>
        </div>
        <Facts
          label="What was read"
          items={[
            ['Currency', preview.currency ?? 'Unknown'],
            ['Availability', formatAvailability(preview.availability)],
            ['Read from', label(METHOD_LABELS, preview.method)],
            ['Confidence', `${confidence}%`],
            ...(preview.sku ? ([['SKU', preview.sku]] as [string, string][]) : []),
            ...(preview.brand ? ([['Brand', preview.brand]] as [string, string][]) : []),
          ]}
        />
        {preview.confidence < LOW_CONFIDENCE && (
          <p className="text-xs font-medium text-amber-700">Low confidence: check the price above, or add a CSS selector that points at it.</p>
        )}
      </div>
    </div>
  );
}
