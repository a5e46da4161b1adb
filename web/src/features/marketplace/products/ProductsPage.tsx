/**
 * /marketplace: every tracked product against its market — my price, the competitors' median, the
 * difference, where I stand, the recent trend and whether its listings still read a price — and the
 * form to track another one.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Button, Card, EmptyState, PageHeader, QueryView, Table, type Column } from '../../../components';
import { Sparkline } from '../../../components/charts';
import { IconChart } from '../../../components/Icons';
import { formatCompactDateTime } from '../../../lib/format';
import { canWrite, useRole } from '../../auth/session';
import { Difference, ListingHealth, PositionBadge } from '../badges';
import { formatMoney, formatPercent } from '../format';
import { usePricing, useProducts, useTrends } from '../hooks';
import { marketOf, type Pricing, type Product, type Trends } from '../types';
import { ProductForm } from './ProductForm';

/** Days of history behind each row's sparkline. */
const SPARK_DAYS = 30;

export function ProductsPage() {
  const writer = canWrite(useRole());
  const navigate = useNavigate();
  const products = useProducts();
  const [tracking, setTracking] = useState(false);
  const noProducts = products.data !== undefined && products.data.length === 0;
  // Opened for the first product, the form stays until it is saved or cancelled: the list refreshing
  // with the new product must not take the form away before its "saved" step runs.
  useEffect(() => {
    if (noProducts) setTracking(true);
  }, [noProducts]);
  const formOpen = writer && (tracking || noProducts);
  return (
    <div className="space-y-5">
      <PageHeader
        title="Marketplace Intel"
        description="Your products against the competitors’ prices: where you stand, how the market moves, and which pages still read a price."
        actions={
          writer && !formOpen ? (
            <Button onClick={() => setTracking(true)}>
              Track a product
            </Button>
          ) : undefined
        }
      />
      {formOpen && (
        <Card title="Track a product" description="Your price, then the competitors’ pages for the same product. Checked daily on the free plan, every 4 hours on Pro.">
          <ProductForm onSaved={(product) => navigate(`/marketplace/products/${product.id}`)} onCancel={noProducts ? undefined : () => setTracking(false)} />
        </Card>
      )}
      <Card title="Tracked products" padded={false}>
        <QueryView query={products} loadingLabel="Loading products" errorTitle="Could not load the products">
          {(rows) =>
            rows.length === 0 ? (
              <EmptyState
                className="m-4"
                icon={<IconChart className="h-6 w-6" />}
                title="No products tracked yet"
                description={writer ? 'Add your first product above: your price and a competitor’s page for the same thing.' : 'Ask a member of your team to track the first product.'}
              />
            ) : (
              <ProductTable products={rows} />
            )
          }
        </QueryView>
      </Card>
    </div>
  );
}

function ProductTable({ products }: { products: Product[] }) {
  const pricing = usePricing();
  const trends = useTrends(undefined, SPARK_DAYS);
  const positions = useMemo(() => new Map((pricing.data ?? []).map((p) => [p.product_id, p])), [pricing.data]);
  const columns: Column<Product>[] = [
    {
      key: 'product',
      header: 'Product',
      cell: (p) => (
        <div className="min-w-0">
          <Link to={`/marketplace/products/${p.id}`} className="font-medium text-slate-900 hover:text-brand-700">
            {p.name}
          </Link>
          {(p.category || p.status === 'paused') && (
            <p className="text-xs text-slate-500">{[p.category, p.status === 'paused' ? 'Paused' : null].filter(Boolean).join(' · ')}</p>
          )}
        </div>
      ),
    },
    { key: 'mine', header: 'My price', className: 'text-right', cell: (p) => <span className="tabular-nums">{formatMoney(p.my_price, p.currency)}</span> },
    {
      key: 'median',
      header: 'Market median',
      className: 'text-right',
      cell: (p) => {
        const market = marketOf(p);
        return (
          <span className="tabular-nums">
            {formatMoney(market.median, p.currency)}
            {market.competitors_priced > 0 && (
              <span className="block text-xs text-slate-500">
                {market.competitors_priced} {market.competitors_priced === 1 ? 'price' : 'prices'}
              </span>
            )}
          </span>
        );
      },
    },
    { key: 'difference', header: 'Difference', className: 'text-right', cell: (p) => <Difference value={marketOf(p).difference_pct} /> },
    { key: 'position', header: 'Position', cell: (p) => <PricingPosition pricing={positions.get(p.id)} loading={pricing.isPending} /> },
    { key: 'trend', header: `Trend (${SPARK_DAYS} days)`, cell: (p) => <TrendCell product={p} trends={trends.data} /> },
    { key: 'health', header: 'Listings', cell: (p) => <ListingHealth listings={p.listings ?? []} /> },
    {
      key: 'checked',
      header: 'Last checked',
      cell: (p) => <span title={p.last_checked_at ?? undefined}>{p.last_checked_at ? formatCompactDateTime(p.last_checked_at) : 'Not yet'}</span>,
    },
  ];
  return (
    <div className="p-2">
      <Table caption="Tracked products" columns={columns} rows={products} rowKey={(p) => p.id} />
    </div>
  );
}

function PricingPosition({ pricing, loading }: { pricing: Pricing | undefined; loading: boolean }) {
  if (!pricing) return <span className="text-slate-400">{loading ? '…' : '—'}</span>;
  return <PositionBadge position={pricing.position} rank={pricing.rank} ranked={pricing.ranked} />;
}

/** The mean of the product's listings' daily prices (in its currency), oldest first. */
export function productSeries(product: Product, trends: Trends | undefined): number[] {
  if (!trends) return [];
  const ids = new Set((product.listings ?? []).map((l) => l.id));
  const byDay = new Map<string, number[]>();
  for (const listing of trends.listings) {
    if (!ids.has(listing.listing_id) || (listing.currency && listing.currency !== product.currency)) continue;
    for (const point of listing.daily) {
      const values = byDay.get(point.date) ?? [];
      values.push(Number(point.value));
      byDay.set(point.date, values);
    }
  }
  return [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, values]) => values.reduce((sum, v) => sum + v, 0) / values.length);
}

function TrendCell({ product, trends }: { product: Product; trends: Trends | undefined }) {
  const values = productSeries(product, trends);
  if (values.length < 2) return <span className="text-xs text-slate-400">Not enough history</span>;
  const first = values[0]!;
  const last = values[values.length - 1]!;
  const change = first > 0 ? ((last - first) / first) * 100 : 0;
  return (
    <div className="flex items-center gap-2">
      <Sparkline values={values} className="h-8 w-24" color={change > 0 ? '#b45309' : change < 0 ? '#047857' : '#4f46e5'} />
      <span className="whitespace-nowrap text-xs tabular-nums text-slate-600">
        {formatPercent(change)}
        <span className="sr-only"> market average over {values.length} days</span>
      </span>
    </div>
  );
}
