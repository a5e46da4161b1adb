import { useState } from 'react';
import { Badge, Card, Pager, PageHeader, QueryView, Table, type Column } from '../../components';
import { formatCompactDateTime } from '../../lib/format';
import { useRole } from '../auth/session';
import { IMPORTS_PAGE, type FileImport } from './api';
import { useEntities, useImports } from './hooks';
import { ImportReport, StatusBadge } from './ImportReport';
import { ImportWizard } from './ImportWizard';

/** The apps the connector framework will sync from (issue "Connectors"); none can be connected yet. */
export const COMING_APPS = [
  { name: 'Shopify', brings: 'products, orders, customers' },
  { name: 'Stripe', brings: 'customers, payments, invoices, subscriptions' },
  { name: 'Square', brings: 'orders, payments, customers, catalog' },
  { name: 'HubSpot', brings: 'contacts, companies, deals' },
  { name: 'Zoho CRM', brings: 'contacts, accounts, deals' },
  { name: 'QuickBooks', brings: 'customers, invoices, payments' },
  { name: 'Xero', brings: 'contacts, invoices, payments' },
  { name: 'Gmail', brings: 'e-mail metadata' },
  { name: 'Outlook', brings: 'e-mail metadata and calendar events' },
] as const;

/** /connectors: file import (wizard, live report, recent imports) and the apps that are coming. */
export function ConnectorsPage() {
  const admin = useRole() === 'admin';
  const [openId, setOpenId] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="Connectors" description="Bring your business data in: import files today; app connections are on the way." />
      <div className="space-y-6">
        {admin ? (
          <WizardPanel onStarted={setOpenId} />
        ) : (
          <Card title="Import a file">
            <p className="text-sm text-slate-600">Only admins can import files. You can follow imports and read their reports below.</p>
          </Card>
        )}
        {openId && <ImportReport key={openId} importId={openId} />}
        <RecentImports openId={openId} onOpen={setOpenId} />
        <ComingApps />
      </div>
    </>
  );
}

function WizardPanel({ onStarted }: { onStarted: (id: string) => void }) {
  const entities = useEntities();
  return (
    <QueryView query={entities} loadingLabel="Loading import fields" errorTitle="Could not load the import fields">
      {(list) => <ImportWizard entities={list.items} onStarted={onStarted} />}
    </QueryView>
  );
}

function RecentImports({ openId, onOpen }: { openId: string | null; onOpen: (id: string) => void }) {
  const [offset, setOffset] = useState(0);
  const imports = useImports(offset);
  const columns: Column<FileImport>[] = [
    {
      key: 'file',
      header: 'File',
      cell: (i) => (
        <button type="button" className="font-medium text-brand-700 hover:underline" aria-current={i.id === openId || undefined} onClick={() => onOpen(i.id)}>
          {i.filename}
        </button>
      ),
    },
    { key: 'entity', header: 'Holds', cell: (i) => i.entity.replace('_', ' ') },
    { key: 'status', header: 'Status', cell: (i) => <StatusBadge status={i.status} /> },
    { key: 'imported', header: 'Imported', cell: (i) => i.rows_imported.toLocaleString(), className: 'tabular-nums' },
    { key: 'failed', header: 'Failed', cell: (i) => i.rows_failed.toLocaleString(), className: 'tabular-nums' },
    { key: 'started', header: 'Started', cell: (i) => formatCompactDateTime(i.created_at), className: 'whitespace-nowrap' },
  ];
  return (
    <Card title="Recent imports" padded={false}>
      <div className="px-2 py-2">
        <QueryView query={imports} loadingLabel="Loading imports" errorTitle="Could not load the imports">
          {(page) => (
            <>
              <Table caption="Recent imports" columns={columns} rows={page.items} rowKey={(i) => i.id} empty="No files imported yet." />
              <Pager total={page.total} limit={IMPORTS_PAGE} offset={offset} onChange={setOffset} label="Imports pages" />
            </>
          )}
        </QueryView>
      </div>
    </Card>
  );
}

function ComingApps() {
  return (
    <Card title="Connect an app" description="Direct connections that sync on a schedule are being built. None of these can be connected yet.">
      <p className="mb-4 rounded-lg bg-brand-50 px-4 py-3 text-sm text-brand-800 ring-1 ring-inset ring-brand-100">
        File import works today: export a CSV from any of these apps and import it above.
      </p>
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="Apps coming soon">
        {COMING_APPS.map((app) => (
          <li key={app.name} className="flex items-start justify-between gap-3 rounded-lg px-4 py-3 ring-1 ring-inset ring-slate-200">
            <div>
              <p className="text-sm font-medium text-slate-900">{app.name}</p>
              <p className="text-xs text-slate-500">{app.brings}</p>
            </div>
            <Badge>Coming soon</Badge>
          </li>
        ))}
      </ul>
    </Card>
  );
}
