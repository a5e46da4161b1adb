/** /marketplace/alerts: price and availability changes that crossed a product's alert threshold, newest first. */
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { Badge, Button, Card, EmptyState, PageHeader, Pager, ProblemAlert, QueryView } from '../../../components';
import { IconInbox } from '../../../components/Icons';
import { formatDateTime } from '../../../lib/format';
import { cn } from '../../../lib/cn';
import { canWrite, useRole } from '../../auth/session';
import { ALERT_KIND_LABELS, formatAvailability, formatMoney, formatPercent, label, listingNames, toNumber } from '../format';
import { useAlerts, useCompetitors, useProducts, useReadAlert } from '../hooks';
import type { PriceAlert } from '../types';

const PAGE_SIZE = 25;

export function AlertsPage() {
  const [offset, setOffset] = useState(0);
  const alerts = useAlerts({ limit: PAGE_SIZE, offset });
  return (
    <div className="space-y-5">
      <PageHeader title="Alerts" description="Raised when a competitor’s price moves by more than the product’s threshold, or its stock changes." />
      <Card title="Price alerts" padded={false}>
        <QueryView query={alerts} loadingLabel="Loading alerts" errorTitle="Could not load the alerts">
          {(page) =>
            page.items.length === 0 ? (
              <EmptyState className="m-4" icon={<IconInbox className="h-6 w-6" />} title="No alerts yet" description="They appear when a tracked competitor changes a price or goes out of stock." />
            ) : (
              <div className="p-4">
                <AlertList alerts={page.items} />
                <Pager label="Alert pages" total={page.total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
              </div>
            )
          }
        </QueryView>
      </Card>
    </div>
  );
}

/** What each alert is about: the product's name and the listing's (competitor or marketplace). */
function useAlertSubjects() {
  const products = useProducts();
  const competitors = useCompetitors();
  return useMemo(() => {
    const byCompetitor = new Map((competitors.data ?? []).map((c) => [c.id, c]));
    const productNames = new Map<string, string>();
    const listings = new Map<string, string>();
    for (const product of products.data ?? []) {
      productNames.set(product.id, product.name);
      for (const [id, name] of listingNames(product.listings ?? [], byCompetitor)) listings.set(id, name);
    }
    return { productNames, listings };
  }, [products.data, competitors.data]);
}

function AlertList({ alerts }: { alerts: PriceAlert[] }) {
  const read = useReadAlert();
  const writer = canWrite(useRole());
  const { productNames, listings } = useAlertSubjects();
  return (
    <>
      <ProblemAlert error={read.error} title="Could not mark the alert read" className="mb-3" />
      <ul aria-label="Price alerts" className="divide-y divide-slate-100">
        {alerts.map((alert) => {
          const product = productNames.get(alert.product_id) ?? 'A product';
          const listing = listings.get(alert.listing_id);
          const title = `${label(ALERT_KIND_LABELS, alert.kind)}: ${product}${listing ? ` at ${listing}` : ''}`;
          const unread = alert.read_at === null;
          return (
            <li key={alert.id} aria-label={title} className={cn('flex flex-wrap items-start justify-between gap-3 py-3', unread && 'bg-brand-50/40 -mx-4 px-4')}>
              <div className="min-w-0 flex-1 space-y-1">
                <div className="flex flex-wrap items-center gap-2">
                  <Badge tone={alert.kind === 'price.dropped' ? 'danger' : alert.kind === 'availability.changed' ? 'warning' : 'brand'}>{label(ALERT_KIND_LABELS, alert.kind)}</Badge>
                  <Link to={`/marketplace/products/${alert.product_id}`} className="font-medium text-slate-900 hover:text-brand-700">
                    {product}
                  </Link>
                  {listing && <span className="text-sm text-slate-500">at {listing}</span>}
                  {unread && <Badge tone="brand">New</Badge>}
                </div>
                <AlertChange alert={alert} />
                <p className="text-xs text-slate-500">
                  {formatDateTime(alert.created_at)}
                  {alert.delivery === 'digest' ? ' · in the daily digest' : ''}
                  {alert.read_at && ` · read ${formatDateTime(alert.read_at)}`}
                </p>
              </div>
              {writer && unread && (
                <Button size="sm" variant="secondary" loading={read.isPending && read.variables === alert.id} onClick={() => read.mutate(alert.id)} aria-label={`Mark read: ${title}`}>
                  Mark read
                </Button>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

function AlertChange({ alert }: { alert: PriceAlert }) {
  const priceMoved = alert.kind !== 'availability.changed' && (alert.old_price !== null || alert.new_price !== null);
  const stockMoved = alert.old_availability !== alert.new_availability && (alert.old_availability !== null || alert.new_availability !== null);
  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm text-slate-700">
      {priceMoved && (
        <span className="tabular-nums">
          {formatMoney(alert.old_price, alert.currency)} → <span className="font-semibold text-slate-900">{formatMoney(alert.new_price, alert.currency)}</span>
          {alert.change_pct !== null && <ChangePercent value={alert.change_pct} />}
        </span>
      )}
      {stockMoved && (
        <span>
          {formatAvailability(alert.old_availability)} → <span className="font-semibold">{formatAvailability(alert.new_availability)}</span>
        </span>
      )}
    </div>
  );
}

/** A competitor's price change: a drop is the threat (red), a rise the opening (green). */
function ChangePercent({ value }: { value: string }) {
  const change = toNumber(value) ?? 0;
  return (
    <span className={cn('ml-2 font-medium', change < 0 ? 'text-red-700' : change > 0 ? 'text-emerald-700' : 'text-slate-600')}>
      {formatPercent(value, 2)}
    </span>
  );
}
