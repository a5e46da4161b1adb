/**
 * /security/assets: what the scanner is allowed to scan (domains, URLs, addresses, ranges) with each
 * one's latest grades, the form to add one (admins, with the ownership statement) and a quick check of
 * any URL.
 */
import { useState } from 'react';
import { Badge, Button, Card, ConfirmDialog, EmptyState, PageHeader, ProblemAlert, QueryView, Table, type Column } from '../../../components';
import { IconShield } from '../../../components/Icons';
import { formatCompactDateTime } from '../../../lib/format';
import { cn } from '../../../lib/cn';
import { canWrite, useRole } from '../../auth/session';
import { GradeBadge } from '../badges';
import { useAssets, useDeleteAsset, useUpdateAsset } from '../hooks';
import { ASSET_KIND_LABELS, label } from '../labels';
import { RunScanButton } from '../shared';
import type { Asset } from '../types';
import { AssetForm } from './AssetForm';
import { QuickCheck } from './QuickCheck';

export function AssetsPage() {
  const assets = useAssets();
  const writer = canWrite(useRole());
  return (
    <div className="space-y-5">
      <PageHeader
        title="Assets"
        description="What the scanner checks: your domains, websites, addresses and office ranges. Only admins can add them, and only ones the company owns or may test."
        actions={<RunScanButton variant="secondary" />}
      />
      <Card padded={false}>
        <QueryView query={assets} loadingLabel="Loading assets" errorTitle="Could not load assets">
          {(rows) =>
            rows.length === 0 ? (
              <EmptyState className="m-4" icon={<IconShield className="h-6 w-6" />} title="No assets yet — add your domain to start" description="Add your main domain below: the next scan grades its website, TLS, e-mail records and open ports." />
            ) : (
              <AssetTable assets={rows} writer={writer} />
            )
          }
        </QueryView>
      </Card>
      {writer && (
        <>
          <AssetForm />
          <QuickCheck />
        </>
      )}
    </div>
  );
}

function AssetTable({ assets, writer }: { assets: Asset[]; writer: boolean }) {
  const update = useUpdateAsset();
  const remove = useDeleteAsset();
  const [deleting, setDeleting] = useState<Asset | null>(null);
  const columns: Column<Asset>[] = [
    {
      key: 'asset',
      header: 'Asset',
      cell: (a) => (
        <div className="min-w-0">
          <p className="break-all font-medium text-slate-900">{a.value}</p>
          {a.label && <p className="text-xs text-slate-500">{a.label}</p>}
        </div>
      ),
    },
    { key: 'kind', header: 'Kind', cell: (a) => <Badge>{label(ASSET_KIND_LABELS, a.kind)}</Badge> },
    {
      key: 'grades',
      header: 'Latest grades',
      cell: (a) =>
        a.grades && Object.keys(a.grades).length > 0 ? (
          <span className="flex flex-wrap gap-1">
            {a.grades.web && <GradeBadge grade={a.grades.web} what="Web" />}
            {a.grades.tls && <GradeBadge grade={a.grades.tls} what="TLS" />}
          </span>
        ) : (
          <span className="text-slate-400">Not graded yet</span>
        ),
    },
    { key: 'issues', header: 'Open issues', cell: (a) => <span className={a.open_issues > 0 ? 'font-medium text-red-700' : 'text-slate-500'}>{a.open_issues}</span> },
    { key: 'scanned', header: 'Last scanned', cell: (a) => <span title={a.last_scanned_at ?? undefined}>{a.last_scanned_at ? formatCompactDateTime(a.last_scanned_at) : 'Never'}</span> },
    {
      key: 'enabled',
      header: 'Scanned',
      cell: (a) => (
        <button
          type="button"
          role="switch"
          aria-checked={a.scan_enabled}
          aria-label={`Scan ${a.value}`}
          disabled={!writer || (update.isPending && update.variables?.id === a.id)}
          onClick={() => update.mutate({ id: a.id, patch: { scan_enabled: !a.scan_enabled } })}
          className={cn('relative inline-flex h-5 w-9 shrink-0 rounded-full transition-colors disabled:opacity-60', a.scan_enabled ? 'bg-brand-600' : 'bg-slate-300')}
        >
          <span aria-hidden="true" className={cn('absolute top-0.5 h-4 w-4 rounded-full bg-white shadow transition-transform', a.scan_enabled ? 'translate-x-4' : 'translate-x-0.5')} />
        </button>
      ),
    },
    ...(writer
      ? [
          {
            key: 'actions',
            header: <span className="sr-only">Actions</span>,
            cell: (a: Asset) => (
              <Button size="sm" variant="ghost" onClick={() => setDeleting(a)} aria-label={`Delete ${a.value}`}>
                Delete
              </Button>
            ),
          },
        ]
      : []),
  ];
  return (
    <div className="p-2">
      <ProblemAlert error={update.error} title="Could not change the asset" className="m-2" />
      <Table caption="Assets" columns={columns} rows={assets} rowKey={(a) => a.id} />
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.value ?? 'the asset'}?`}
        description="It will not be scanned any more. Its past scans and issues are kept."
        confirmLabel="Delete asset"
        busy={remove.isPending}
        error={<ProblemAlert error={remove.error} title="Could not delete the asset" className="mt-3" />}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}
        onClose={() => {
          remove.reset();
          setDeleting(null);
        }}
      />
    </div>
  );
}
