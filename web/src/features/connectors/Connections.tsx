import { useEffect, useId, useState } from 'react';
import { Badge, Button, Card, EmptyState, ProblemAlert } from '../../components';
import { IconPlug } from '../../components/Icons';
import { formatDateTime } from '../../lib/format';
import { ConnectButton } from './ConnectButton';
import { FILE_TYPE, fetchedTotal, isRunFinished, type CatalogueEntry, type Connection, type SyncRun } from './connectionsApi';
import { useRun, useSyncNow } from './connectionsHooks';
import { DisconnectDialog } from './DisconnectDialog';
import { CONNECTION_STATUS, streamLabel } from './labels';
import { SyncHistory } from './SyncHistory';
import { SyncProgress } from './SyncProgress';
import { formatDuration, formatRelative, useNow } from './time';

interface ConnectionsProps {
  connections: Connection[];
  catalogue: CatalogueEntry[];
  canManage: boolean;
}

/** The tenant's connections: status, freshness, record counts, live sync progress and history. */
export function Connections({ connections, catalogue, canManage }: ConnectionsProps) {
  const now = useNow();
  return (
    <Card title="Your connections" description="What each connection has brought in, and how its syncs went.">
      {connections.length === 0 ? (
        <EmptyState icon={<IconPlug className="h-6 w-6" />} title="No apps connected yet" description="Connect an app below, or import a file." />
      ) : (
        <ul className="divide-y divide-slate-100" aria-label="Connections">
          {connections.map((connection) => (
            <ConnectionItem
              key={connection.id}
              connection={connection}
              entry={catalogue.find((e) => e.type === connection.type)}
              canManage={canManage}
              now={now}
            />
          ))}
        </ul>
      )}
    </Card>
  );
}

interface ItemProps {
  connection: Connection;
  entry: CatalogueEntry | undefined;
  canManage: boolean;
  now: number;
}

function ConnectionItem({ connection, entry, canManage, now }: ItemProps) {
  const nameId = useId();
  const historyId = useId();
  const [historyOpen, setHistoryOpen] = useState(false);
  const [disconnecting, setDisconnecting] = useState(false);
  const syncable = connection.type !== FILE_TYPE;
  const live = useLiveRun(connection);
  const sync = useSyncNow(connection.id);
  return (
    <li aria-labelledby={nameId} className="space-y-3 py-4 first:pt-0 last:pb-0">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h3 id={nameId} className="text-sm font-semibold text-slate-900">
              {connection.name}
            </h3>
            <ConnectionStatusBadge status={connection.status} />
          </div>
          <p className="mt-0.5 text-xs text-slate-500">
            {entry && entry.name !== connection.name && <>{entry.name} · </>}
            {connection.last_sync_at ? (
              <>
                Last synced <time dateTime={connection.last_sync_at} title={formatDateTime(connection.last_sync_at)}>{formatRelative(connection.last_sync_at, now)}</time>
              </>
            ) : (
              'Not synced yet'
            )}
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {canManage && syncable && connection.status === 'active' && (
            <Button
              size="sm"
              variant="secondary"
              aria-label={`Sync ${connection.name} now`}
              loading={sync.isPending}
              disabled={Boolean(live.run)}
              onClick={() => sync.mutate(undefined, { onSuccess: (requested) => live.follow(requested.run_id) })}
            >
              Sync now
            </Button>
          )}
          {syncable && (
            <Button size="sm" variant="ghost" aria-expanded={historyOpen} aria-controls={historyId} onClick={() => setHistoryOpen((open) => !open)}>
              {historyOpen ? 'Hide history' : 'History'}
            </Button>
          )}
          {canManage && syncable && (
            <Button size="sm" variant="ghost" className="text-red-700 hover:bg-red-50" aria-label={`Disconnect ${connection.name}`} onClick={() => setDisconnecting(true)}>
              Disconnect
            </Button>
          )}
        </div>
      </div>
      <StatusNotice connection={connection} entry={entry} canManage={canManage} />
      <ProblemAlert error={sync.error} title="Could not start a sync" />
      {live.run ? <SyncProgress run={live.run} sourceStreams={entry?.streams ?? []} /> : <LastRun run={connection.last_run ?? null} now={now} />}
      <RecordCounts connection={connection} />
      {historyOpen && (
        <section id={historyId} aria-label={`Sync history of ${connection.name}`} className="rounded-lg px-3 py-3 ring-1 ring-inset ring-slate-200">
          <SyncHistory connectionId={connection.id} name={connection.name} />
        </section>
      )}
      <DisconnectDialog connection={connection} open={disconnecting} onClose={() => setDisconnecting(false)} />
    </li>
  );
}

/**
 * The run to show progress for: the one "Sync now" just asked for, else the connection's newest run
 * while it is queued or running. Polled every second until it finishes.
 */
function useLiveRun(connection: Connection): { run: SyncRun | null; follow: (runId: string) => void } {
  const [followed, follow] = useState<string | null>(null);
  const newest = connection.last_run ?? null;
  const runId = followed ?? (newest && !isRunFinished(newest.status) ? newest.id : null);
  const polled = useRun(connection.id, runId);
  const run = polled.data ?? (newest?.id === runId ? newest : null);
  const finished = run !== null && isRunFinished(run.status);
  useEffect(() => {
    if (finished) follow(null);
  }, [finished]);
  return { run: run && !finished ? run : null, follow };
}

export function ConnectionStatusBadge({ status }: { status: Connection['status'] }) {
  const { label, tone } = CONNECTION_STATUS[status];
  return <Badge tone={tone}>{label}</Badge>;
}

/** Why a connection is not syncing, with the way back: connecting it again. */
function StatusNotice({ connection, entry, canManage }: { connection: Connection; entry: CatalogueEntry | undefined; canManage: boolean }) {
  if (connection.status === 'active') return null;
  const reconnect = canManage && entry?.available && entry.configured && (
    <ConnectButton
      entry={entry}
      mode={entry.auth === 'oauth2' ? 'oauth' : 'key'}
      label="Reconnect"
      variant="secondary"
      ariaLabel={`Reconnect ${connection.name}`}
    />
  );
  if (connection.status === 'error') {
    return (
      <div role="alert" className="flex flex-wrap items-start justify-between gap-3 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
        <div className="min-w-0">
          <p className="font-semibold">This connection needs attention</p>
          <p className="mt-0.5">{connection.last_error ?? 'The last sync failed.'}</p>
        </div>
        <div className="flex flex-col items-end gap-2">{reconnect}</div>
      </div>
    );
  }
  return (
    <div className="flex flex-wrap items-center justify-between gap-3 rounded-lg bg-slate-50 px-4 py-3 text-sm text-slate-600 ring-1 ring-inset ring-slate-200">
      <p>Disconnected. The records it brought in were kept.</p>
      <div className="flex flex-col items-end gap-2">{reconnect}</div>
    </div>
  );
}

function LastRun({ run, now }: { run: SyncRun | null; now: number }) {
  if (!run || !isRunFinished(run.status)) return null;
  const when = formatRelative(run.finished_at ?? run.created_at, now);
  if (run.status === 'failed') {
    const reason = run.detail ?? run.errors[0]?.message ?? 'No reason was given.';
    return (
      <p className="text-xs text-red-700">
        Last sync failed {when}: {reason}
      </p>
    );
  }
  return (
    <p className="text-xs text-slate-500">
      Last sync completed {when}: {fetchedTotal(run).toLocaleString()} records in {formatDuration(run.duration_ms)}
      {run.errors.length > 0 && <span className="text-amber-700"> ({run.errors.length} streams had errors)</span>}
    </p>
  );
}

function RecordCounts({ connection }: { connection: Connection }) {
  const counts = Object.entries(connection.record_counts).filter(([, count]) => count > 0);
  if (counts.length === 0) return <p className="text-xs text-slate-500">No records yet.</p>;
  return (
    <dl className="flex flex-wrap gap-2" aria-label={`Records from ${connection.name}`}>
      {counts.map(([table, count]) => (
        <div key={table} className="rounded-md bg-slate-50 px-2.5 py-1.5 ring-1 ring-inset ring-slate-200">
          <dt className="text-[11px] font-medium uppercase tracking-wide text-slate-500">{streamLabel(table)}</dt>
          <dd className="text-sm font-semibold tabular-nums text-slate-900">{count.toLocaleString()}</dd>
        </div>
      ))}
    </dl>
  );
}
