/** Where my price stands for one product: position, rank, market index, each competitor's difference, and what to do. */
import { Badge, Card, QueryView, Table, type Column } from '../../../components';
import { Difference, PositionBadge } from '../badges';
import { formatMoney } from '../format';
import { usePricing } from '../hooks';
import { Stat } from '../shared';
import type { Comparison, Opportunity, Pricing } from '../types';

const OPPORTUNITY_TONES: Record<Opportunity['kind'], 'warning' | 'success' | 'danger' | 'brand'> = {
  above_market: 'warning',
  far_below_market: 'brand',
  undercut: 'danger',
  competitor_out_of_stock: 'success',
};

const OPPORTUNITY_LABELS: Record<Opportunity['kind'], string> = {
  above_market: 'Above market',
  far_below_market: 'Far below market',
  undercut: 'Undercut',
  competitor_out_of_stock: 'Competitor out of stock',
};

export function PricingCard({ productId }: { productId: string }) {
  const pricing = usePricing(productId);
  return (
    <Card title="Pricing" description="Your price against each competitor’s latest one. Only in-stock prices in your currency count for the position.">
      <QueryView query={pricing} loadingLabel="Loading the pricing position" errorTitle="Could not load the pricing position">
        {(rows) => (rows[0] ? <PricingBody pricing={rows[0]} /> : <p className="text-sm text-slate-500">No pricing yet.</p>)}
      </QueryView>
    </Card>
  );
}

function PricingBody({ pricing }: { pricing: Pricing }) {
  const currency = pricing.currency;
  const columns: Column<Comparison>[] = [
    { key: 'competitor', header: 'Competitor', cell: (c) => <span className="font-medium text-slate-900">{c.competitor ?? 'Listing'}</span> },
    { key: 'price', header: 'Their price', className: 'text-right', cell: (c) => <span className="tabular-nums">{formatMoney(c.price, c.currency)}</span> },
    {
      key: 'difference',
      header: 'My difference',
      className: 'text-right',
      cell: (c) => (c.comparable ? <Difference value={c.difference_pct} against="their price" /> : <span className="text-xs text-slate-500">Other currency</span>),
    },
    {
      key: 'stock',
      header: 'Stock',
      cell: (c) => (c.in_stock ? <Badge tone="success">In stock</Badge> : <Badge tone="warning">Out of stock</Badge>),
    },
    {
      key: 'cheaper',
      header: 'Cheaper',
      cell: (c) => <span className="text-slate-600">{c.cheaper === 'me' ? 'You' : c.cheaper === 'competitor' ? 'They are' : c.cheaper === 'same' ? 'Same price' : '—'}</span>,
    },
  ];
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Stat label="Position" value={<PositionBadge position={pricing.position} />} hint={pricing.rank !== null ? `#${pricing.rank} of ${pricing.ranked}` : undefined} />
        <Stat label="Market price index" value={pricing.market_price_index ?? '—'} hint="100 = at the median" />
        <Stat label="Market median" value={formatMoney(pricing.market_median, currency)} />
        <Stat
          label="Market range"
          value={pricing.market_min !== null ? `${formatMoney(pricing.market_min, currency)} – ${formatMoney(pricing.market_max, currency)}` : '—'}
        />
      </dl>
      {pricing.comparisons.length > 0 && <Table caption="Competitor comparison" columns={columns} rows={pricing.comparisons} rowKey={(c) => c.listing_id} />}
      {pricing.opportunities.length > 0 && (
        <section aria-label="Opportunities">
          <h3 className="text-sm font-semibold text-slate-800">Opportunities</h3>
          <ul className="mt-2 space-y-2">
            {pricing.opportunities.map((o, i) => (
              <li key={`${o.kind}:${i}`} className="flex flex-wrap items-start gap-2 text-sm text-slate-700">
                <Badge tone={OPPORTUNITY_TONES[o.kind] ?? 'neutral'}>{OPPORTUNITY_LABELS[o.kind] ?? o.kind}</Badge>
                <span>{o.detail}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {pricing.recommendations.length > 0 && (
        <section aria-label="Recommendations" className="rounded-lg bg-brand-50/60 p-3 ring-1 ring-inset ring-brand-100">
          <h3 className="text-sm font-semibold text-brand-900">Recommendations</h3>
          <ul className="mt-1 list-disc space-y-1 pl-5 text-sm text-slate-800">
            {pricing.recommendations.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </section>
      )}
      {pricing.notes.length > 0 && (
        <ul className="space-y-1 text-xs text-slate-500">
          {pricing.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
