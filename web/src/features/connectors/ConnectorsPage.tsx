import { useState } from 'react';
import { Card, Pager, PageHeader, QueryView, Table, type Column } from '../../components';
import { formatCompactDateTime } from '../../lib/format';
import { useRole } from '../auth/session';
import { IMPORTS_PAGE, type FileImport } from './api';
import { Catalogue } from './Catalogue';
import { Connections } from './Connections';
import { useOverview, useRefreshConnections } from './connectionsHooks';
import { useEntities, useImports } from './hooks';
import { ImportReport, StatusBadge } from './ImportReport';
import { ImportWizard } from './ImportWizard';
import { useConnectedMessages } from './oauthPopup';

/** /connectors: connected apps (status, syncs, history), the apps to connect, and file import. */
export function ConnectorsPage() {
  const admin = useRole() === 'admin';
  const [openId, setOpenId] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="Connectors" description="Bring your business data in: connect the apps you use, or import files." />
      <div className="space-y-6">
        <AppConnections canManage={admin} />
        {admin ? (
          <WizardPanel onStarted={setOpenId} />
        ) : (
          <Card title="Import a file">
            <p className="text-sm text-slate-600">Only admins can import files. You can follow imports and read their reports below.</p>
          </Card>
        )}
        {openId && <ImportReport key={openId} importId={openId} />}
        <RecentImports openId={openId} onOpen={setOpenId} />
      </div>
    </>
  );
}

/** The tenant's connections and the catalogue; refreshed when an OAuth popup reports a new connection. */
function AppConnections({ canManage }: { canManage: boolean }) {
  const overview = useOverview();
  const refresh = useRefreshConnections();
  useConnectedMessages(() => refresh());
  return (
    <QueryView query={overview} loadingLabel="Loading your connections" errorTitle="Could not load the connections">
      {({ catalogue, connections }) => (
        <>
          <Connections connections={connections} catalogue={catalogue} canManage={canManage} />
          <Catalogue catalogue={catalogue} canManage={canManage} />
        </>
      )}
    </QueryView>
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
