/**
 * /marketplace/products/:id: one tracked product — its price history per listing against my price, each
 * listing's health and recent checks, "Check now" (followed until every listing reports back), the
 * pricing position and the trends; edit, pause and delete.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { Button, Card, ConfirmDialog, PageHeader, PageSpinner, ProblemAlert, Select, SuccessAlert } from '../../../components';
import { formatDateTime } from '../../../lib/format';
import { canWrite, useRole } from '../../auth/session';
import { Difference } from '../badges';
import { formatMoney, listingNames } from '../format';
import { useCheckNow, useCompetitors, useDeleteProduct, useHistory, useProduct, useRefreshAfterCheck, useUpdateProduct } from '../hooks';
import { Stat } from '../shared';
import { marketOf, type ListingCheck, type Product } from '../types';
import { ListingHealthCard } from './ListingHealthCard';
import { PriceHistoryChart } from './PriceHistoryChart';
import { PricingCard } from './PricingCard';
import { ProductForm } from './ProductForm';
import { TrendsCard } from './TrendsCard';

/** How often a product is asked for news while its check runs, and for how long at most. */
export const CHECK_POLL_MS = 1500;
const CHECK_WATCH_MS = 120_000;
const RANGES = [7, 30, 90, 365] as const;

interface Watch {
  /** Each listing's last_checked_at when "Check now" was pressed. */
  before: Map<string, string | null>;
  until: number;
}

function checkedSince(product: Product, watch: Watch): boolean {
  return (product.listings ?? []).every((l) => !watch.before.has(l.id) || l.last_checked_at !== watch.before.get(l.id));
}

export function ProductDetailPage() {
  const { productId } = useParams();
  const writer = canWrite(useRole());
  const [watch, setWatch] = useState<Watch | null>(null);
  const [days, setDays] = useState<number>(90);
  const [editing, setEditing] = useState(false);
  const poll = watch ? CHECK_POLL_MS : false;
  const product = useProduct(productId, poll);
  const history = useHistory(productId, days, poll);
  const competitors = useCompetitors();
  const refreshAfterCheck = useRefreshAfterCheck();
  const [checkedAt, setCheckedAt] = useState<string | null>(null);

  // When a listing reports back (after "Check now" or a scheduled round), everything derived from it is refreshed.
  const signature = (product.data?.listings ?? []).map((l) => `${l.id}:${l.last_checked_at ?? ''}`).join('|');
  const lastSignature = useRef<string | null>(null);
  useEffect(() => {
    if (!signature) return;
    if (lastSignature.current !== null && lastSignature.current !== signature) void refreshAfterCheck();
    lastSignature.current = signature;
  }, [signature, refreshAfterCheck]);

  useEffect(() => {
    if (!watch || !product.data) return;
    if (checkedSince(product.data, watch)) {
      setWatch(null);
      setCheckedAt(new Date().toISOString());
      return;
    }
    const timer = setTimeout(() => setWatch(null), Math.max(0, watch.until - Date.now()));
    return () => clearTimeout(timer);
  }, [watch, product.data]);

  const names = useMemo(
    () => listingNames(product.data?.listings ?? [], new Map((competitors.data ?? []).map((c) => [c.id, c]))),
    [product.data?.listings, competitors.data],
  );

  if (product.isPending) return <PageSpinner label="Loading the product" />;
  if (product.isError || !product.data) {
    return (
      <div className="space-y-4">
        <ProblemAlert error={product.error} title="Could not load the product" />
        <Link to="/marketplace" className="text-sm font-medium text-brand-700 hover:text-brand-800">
          Back to products
        </Link>
      </div>
    );
  }
  const data = product.data;
  const market = marketOf(data);

  return (
    <div className="space-y-5">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link to="/marketplace" className="text-brand-700 hover:text-brand-800">
          Products
        </Link>
        <span className="text-slate-400"> / {data.name}</span>
      </nav>
      <PageHeader
        title={data.name}
        description={
          [data.category, data.status === 'paused' ? 'Paused: not checked on schedule' : null, data.last_checked_at ? `Last checked ${formatDateTime(data.last_checked_at)}` : 'Not checked yet']
            .filter(Boolean)
            .join(' · ')
        }
        actions={
          writer ? (
            <ProductActions
              product={data}
              checking={watch !== null}
              onChecking={() => {
                setCheckedAt(null);
                setWatch({ before: new Map((data.listings ?? []).map((l) => [l.id, l.last_checked_at])), until: Date.now() + CHECK_WATCH_MS });
              }}
              onEdit={() => setEditing(true)}
            />
          ) : undefined
        }
      />
      {watch && <p role="status" className="text-sm text-slate-600">Checking {checkingText(data)}… the figures update when they report back.</p>}
      {checkedAt && !watch && <SuccessAlert>Checked just now: the prices below are the latest.</SuccessAlert>}

      {editing && (
        <Card title={`Edit ${data.name}`}>
          <ProductForm product={data} onSaved={() => setEditing(false)} onCancel={() => setEditing(false)} />
        </Card>
      )}

      <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat label="My price" value={formatMoney(data.my_price, data.currency)} />
        <Stat label="Market median" value={formatMoney(market.median, data.currency)} hint={`${market.competitors_priced} competitor ${market.competitors_priced === 1 ? 'price' : 'prices'}`} />
        <Stat label="Difference" value={<Difference value={market.difference_pct} />} />
        <Stat label="Market range" value={market.min !== undefined ? `${formatMoney(market.min, data.currency)} – ${formatMoney(market.max, data.currency)}` : '—'} />
      </dl>

      <Card
        title="Price history"
        description="Every stored price: each change, plus one a day while it holds."
        actions={
          <label className="flex items-center gap-2 text-sm text-slate-600">
            <span>Range</span>
            <Select value={String(days)} onChange={(e) => setDays(Number(e.target.value))} className="w-32">
              {RANGES.map((range) => (
                <option key={range} value={range}>
                  {range === 365 ? '1 year' : `${range} days`}
                </option>
              ))}
            </Select>
          </label>
        }
      >
        {history.isError ? (
          <ProblemAlert error={history.error} title="Could not load the price history" />
        ) : !history.data ? (
          <PageSpinner label="Loading the price history" />
        ) : history.data.points.length === 0 ? (
          <p className="py-10 text-center text-sm text-slate-500">No prices read yet. They appear after the first successful check{writer ? ' — try “Check now”' : ''}.</p>
        ) : (
          <PriceHistoryChart productName={data.name} points={history.data.points} names={names} myPrice={data.my_price} currency={data.currency} />
        )}
      </Card>

      <ListingHealthCard listings={data.listings ?? []} checks={(history.data?.checks ?? []) as unknown as ListingCheck[]} names={names} />

      <div className="grid gap-5 2xl:grid-cols-2">
        <PricingCard productId={data.id} />
        <TrendsCard productId={data.id} days={days} names={names} />
      </div>
    </div>
  );
}

function checkingText(product: Product): string {
  const count = product.listings?.length ?? 0;
  return `${count} ${count === 1 ? 'listing' : 'listings'}`;
}

interface ProductActionsProps {
  product: Product;
  checking: boolean;
  onChecking: () => void;
  onEdit: () => void;
}

function ProductActions({ product, checking, onChecking, onEdit }: ProductActionsProps) {
  const navigate = useNavigate();
  const check = useCheckNow();
  const update = useUpdateProduct();
  const remove = useDeleteProduct();
  const [deleting, setDeleting] = useState(false);
  const paused = product.status === 'paused';
  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex flex-wrap gap-2">
        <Button loading={check.isPending || checking} disabled={(product.listings ?? []).length === 0} onClick={() => check.mutate(product.id, { onSuccess: onChecking })}>
          Check now
        </Button>
        <Button variant="secondary" onClick={onEdit}>
          Edit
        </Button>
        <Button variant="secondary" loading={update.isPending} onClick={() => update.mutate({ id: product.id, patch: { status: paused ? 'active' : 'paused' } })}>
          {paused ? 'Resume checks' : 'Pause checks'}
        </Button>
        <Button variant="ghost" onClick={() => setDeleting(true)}>
          Delete
        </Button>
      </div>
      <ProblemAlert error={check.error} title="Could not start the check" className="max-w-md" />
      <ProblemAlert error={update.error} title="Could not change the product" className="max-w-md" />
      <ConfirmDialog
        open={deleting}
        title={`Stop tracking ${product.name}?`}
        description="Its listings, price history and alerts are deleted."
        confirmLabel="Delete product"
        busy={remove.isPending}
        error={<ProblemAlert error={remove.error} title="Could not delete the product" className="mt-3" />}
        onConfirm={() => remove.mutate(product.id, { onSuccess: () => navigate('/marketplace') })}
        onClose={() => {
          remove.reset();
          setDeleting(false);
        }}
      />
    </div>
  );
}
