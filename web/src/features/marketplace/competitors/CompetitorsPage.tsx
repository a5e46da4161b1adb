/** /marketplace/competitors: who you compare with (added by hand or accepted from discovery), with their listings. */
import { useState } from 'react';
import { Link } from 'react-router';
import { Badge, Button, Card, ConfirmDialog, EmptyState, PageHeader, ProblemAlert, QueryView, SuccessAlert, Table, type Column } from '../../../components';
import { IconUsers } from '../../../components/Icons';
import { canWrite, useRole } from '../../auth/session';
import { SourceBadge } from '../badges';
import { useCompetitors, useDeleteCompetitor } from '../hooks';
import { ExternalLink } from '../shared';
import type { Competitor } from '../types';
import { CompetitorForm } from './CompetitorForm';

export function CompetitorsPage() {
  const competitors = useCompetitors();
  const writer = canWrite(useRole());
  const [added, setAdded] = useState<string | null>(null);
  return (
    <div className="space-y-5">
      <PageHeader
        title="Competitors"
        description="The businesses you compare prices with. Add them by hand, or find them nearby under Discovery."
        actions={
          <Link to="/marketplace/discover" className="rounded-lg px-3.5 py-2 text-sm font-medium text-brand-700 ring-1 ring-inset ring-brand-200 hover:bg-brand-50">
            Find competitors nearby
          </Link>
        }
      />
      <Card padded={false}>
        <QueryView query={competitors} loadingLabel="Loading competitors" errorTitle="Could not load the competitors">
          {(rows) =>
            rows.length === 0 ? (
              <EmptyState className="m-4" icon={<IconUsers className="h-6 w-6" />} title="No competitors yet" description="Add one below, or let Discovery suggest the businesses near you." />
            ) : (
              <CompetitorTable competitors={rows} writer={writer} />
            )
          }
        </QueryView>
      </Card>
      {writer && (
        <Card title="Add a competitor">
          {added && <SuccessAlert className="mb-4">Added {added}.</SuccessAlert>}
          <CompetitorForm onSaved={(competitor) => setAdded(competitor.name)} />
        </Card>
      )}
    </div>
  );
}

function CompetitorTable({ competitors, writer }: { competitors: Competitor[]; writer: boolean }) {
  const remove = useDeleteCompetitor();
  const [deleting, setDeleting] = useState<Competitor | null>(null);
  const columns: Column<Competitor>[] = [
    {
      key: 'name',
      header: 'Name',
      cell: (c) => (
        <div>
          <Link to={`/marketplace/competitors/${c.id}`} className="font-medium text-slate-900 hover:text-brand-700">
            {c.name}
          </Link>
          {!c.is_active && <Badge className="ml-2">Inactive</Badge>}
        </div>
      ),
    },
    { key: 'website', header: 'Website', cell: (c) => (c.website ? <ExternalLink href={c.website} className="text-sm" /> : <span className="text-slate-400">—</span>) },
    { key: 'category', header: 'Category', cell: (c) => c.category ?? <span className="text-slate-400">—</span> },
    { key: 'location', header: 'Location', cell: (c) => <span className="text-sm">{c.location ?? '—'}</span> },
    { key: 'source', header: 'Source', cell: (c) => <SourceBadge source={c.source} /> },
    { key: 'listings', header: 'Listings', className: 'text-right', cell: (c) => <span className="tabular-nums">{c.listings ?? 0}</span> },
    ...(writer
      ? [
          {
            key: 'actions',
            header: <span className="sr-only">Actions</span>,
            cell: (c: Competitor) => (
              <Button size="sm" variant="ghost" onClick={() => setDeleting(c)} aria-label={`Delete ${c.name}`}>
                Delete
              </Button>
            ),
          },
        ]
      : []),
  ];
  return (
    <div className="p-2">
      <Table caption="Competitors" columns={columns} rows={competitors} rowKey={(c) => c.id} />
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.name ?? 'the competitor'}?`}
        description="Its listings stay tracked, without a competitor name."
        confirmLabel="Delete competitor"
        busy={remove.isPending}
        error={<ProblemAlert error={remove.error} title="Could not delete the competitor" className="mt-3" />}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}
        onClose={() => {
          remove.reset();
          setDeleting(null);
        }}
      />
    </div>
  );
}
