/** /marketplace/competitors/:id: one competitor's profile and the listings of theirs you track, with their latest prices. */
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { Badge, Button, Card, ConfirmDialog, PageHeader, PageSpinner, ProblemAlert, QueryView, Table, type Column } from '../../../components';
import { formatCompactDateTime, formatDate } from '../../../lib/format';
import { canWrite, useRole } from '../../auth/session';
import { ListingStatusBadge, SourceBadge } from '../badges';
import { formatMoney } from '../format';
import { useCompetitor, useDeleteCompetitor, useProducts } from '../hooks';
import { ExternalLink, Facts } from '../shared';
import type { Competitor, Listing, Product } from '../types';
import { CompetitorForm } from './CompetitorForm';

interface TrackedListing {
  product: Product;
  listing: Listing;
}

export function CompetitorPage() {
  const { competitorId } = useParams();
  const competitor = useCompetitor(competitorId);
  const writer = canWrite(useRole());
  const [editing, setEditing] = useState(false);
  if (competitor.isPending) return <PageSpinner label="Loading the competitor" />;
  if (competitor.isError || !competitor.data) {
    return (
      <div className="space-y-4">
        <ProblemAlert error={competitor.error} title="Could not load the competitor" />
        <Link to="/marketplace/competitors" className="text-sm font-medium text-brand-700 hover:text-brand-800">
          Back to competitors
        </Link>
      </div>
    );
  }
  const data = competitor.data;
  return (
    <div className="space-y-5">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link to="/marketplace/competitors" className="text-brand-700 hover:text-brand-800">
          Competitors
        </Link>
        <span className="text-slate-400"> / {data.name}</span>
      </nav>
      <PageHeader
        title={data.name}
        description={data.description ?? undefined}
        actions={writer ? <CompetitorActions competitor={data} onEdit={() => setEditing(true)} /> : undefined}
      />
      {editing && (
        <Card title={`Edit ${data.name}`}>
          <CompetitorForm competitor={data} onSaved={() => setEditing(false)} onCancel={() => setEditing(false)} />
        </Card>
      )}
      <Card title="Profile">
        <Facts
          label={`Profile of ${data.name}`}
          items={[
            ['Website', data.website ? <ExternalLink href={data.website} /> : '—'],
            ['Category', data.category ?? '—'],
            ['Location', data.location ?? '—'],
            ['Phone', data.phone ?? '—'],
            ['Coordinates', data.latitude !== null && data.longitude !== null ? `${data.latitude.toFixed(5)}, ${data.longitude.toFixed(5)}` : '—'],
            ['Source', <SourceBadge key="source" source={data.source} />],
            ['Status', data.is_active ? 'Active' : <Badge key="inactive">Inactive</Badge>],
            ['Added', formatDate(data.created_at)],
          ]}
        />
      </Card>
      <TrackedListings competitor={data} />
    </div>
  );
}

function TrackedListings({ competitor }: { competitor: Competitor }) {
  const products = useProducts();
  const columns: Column<TrackedListing>[] = [
    {
      key: 'product',
      header: 'Product',
      cell: ({ product }) => (
        <Link to={`/marketplace/products/${product.id}`} className="font-medium text-slate-900 hover:text-brand-700">
          {product.name}
        </Link>
      ),
    },
    { key: 'page', header: 'Page', cell: ({ listing }) => <ExternalLink href={listing.url} className="text-xs">{listing.title ?? listing.url}</ExternalLink> },
    { key: 'price', header: 'Their price', className: 'text-right', cell: ({ listing }) => <span className="tabular-nums">{formatMoney(listing.last_price, listing.last_currency)}</span> },
    { key: 'mine', header: 'My price', className: 'text-right', cell: ({ product }) => <span className="tabular-nums">{formatMoney(product.my_price, product.currency)}</span> },
    { key: 'status', header: 'Status', cell: ({ listing }) => <ListingStatusBadge status={listing.status} /> },
    { key: 'checked', header: 'Last checked', cell: ({ listing }) => (listing.last_checked_at ? formatCompactDateTime(listing.last_checked_at) : 'Not yet') },
  ];
  return (
    <Card title="Tracked listings" description="Their pages you watch, across your products." padded={false}>
      <QueryView query={products} loadingLabel="Loading listings" errorTitle="Could not load the listings">
        {(rows) => {
          const tracked = rows.flatMap((product) => (product.listings ?? []).filter((l) => l.competitor_id === competitor.id).map((listing) => ({ product, listing })));
          return (
            <div className="p-2">
              <Table
                caption={`Listings of ${competitor.name}`}
                columns={columns}
                rows={tracked}
                rowKey={({ listing }) => listing.id}
                empty="None yet: pick this competitor on a product’s listing to follow its prices."
              />
            </div>
          );
        }}
      </QueryView>
    </Card>
  );
}

function CompetitorActions({ competitor, onEdit }: { competitor: Competitor; onEdit: () => void }) {
  const navigate = useNavigate();
  const remove = useDeleteCompetitor();
  const [deleting, setDeleting] = useState(false);
  return (
    <div className="flex gap-2">
      <Button variant="secondary" onClick={onEdit}>
        Edit
      </Button>
      <Button variant="ghost" onClick={() => setDeleting(true)}>
        Delete
      </Button>
      <ConfirmDialog
        open={deleting}
        title={`Delete ${competitor.name}?`}
        description="Its listings stay tracked, without a competitor name."
        confirmLabel="Delete competitor"
        busy={remove.isPending}
        error={<ProblemAlert error={remove.error} title="Could not delete the competitor" className="mt-3" />}
        onConfirm={() => remove.mutate(competitor.id, { onSuccess: () => navigate('/marketplace/competitors') })}
        onClose={() => {
          remove.reset();
          setDeleting(false);
        }}
      />
    </div>
  );
}
