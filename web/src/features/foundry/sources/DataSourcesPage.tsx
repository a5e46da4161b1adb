import { useId, useState } from 'react';
import { Link } from 'react-router';
import { Badge, Button, ConfirmDialog, EmptyState, PageHeader, ProblemAlert, QueryView, SuccessAlert } from '../../../components';
import { IconPlug, IconPlus } from '../../../components/Icons';
import { formatDateTime } from '../../../lib/format';
import { useRole } from '../../auth/session';
import { formatRelative, useNow } from '../../connectors/time';
import { AddDatabaseDialog } from './AddDatabaseDialog';
import { useDataSources, useDeleteDatabase, useRefreshDatabase } from './hooks';
import { entityLabel, statusOf, typeLabel } from './labels';
import { QualityMeter } from './QualityMeter';
import { TablePreviewDialog } from './TablePreviewDialog';
import type { DataSourceOut, ExternalTable, TableQuality } from './types';

const count = new Intl.NumberFormat();

function kindLabel(source: DataSourceOut): string {
  return source.kind === 'database' ? 'External database' : source.kind === 'file_import' ? 'File imports' : 'Connection';
}

function Ago({ at, now, prefix }: { at: string; now: number; prefix: string }) {
  return (
    <time dateTime={at} title={formatDateTime(at)}>
      {prefix} {formatRelative(at, now)}
    </time>
  );
}

/** How current the source is: its last sync (or import, or schema read), else its newest record. */
function Freshness({ source, now }: { source: DataSourceOut; now: number }) {
  const verb = source.kind === 'database' ? 'Schema read' : source.kind === 'file_import' ? 'Last import' : 'Synced';
  const newest = source.detail.freshness?.newest_record_at ?? null;
  const empty = Object.keys(source.record_counts).length === 0;
  return (
    <p className="text-xs text-slate-500">
      {source.last_synced_at ? (
        <Ago at={source.last_synced_at} now={now} prefix={verb} />
      ) : newest ? (
        <Ago at={newest} now={now} prefix="Newest record changed" />
      ) : empty && source.kind === 'file_import' ? (
        'No files imported yet'
      ) : (
        'Never synced'
      )}
      {source.last_synced_at && newest && (
        <>
          {' · '}
          <Ago at={newest} now={now} prefix="newest record changed" />
        </>
      )}
    </p>
  );
}

/** Records per business table, largest first. */
function RecordCounts({ counts, label }: { counts: Record<string, number>; label: string }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return <p className="text-sm text-slate-500">No records yet.</p>;
  return (
    <dl aria-label={label} className="grid grid-cols-2 gap-x-4 gap-y-1.5 sm:grid-cols-3">
      {entries.map(([entity, n]) => (
        <div key={entity} className="min-w-0">
          <dt className="truncate text-xs text-slate-500">{entityLabel(entity)}</dt>
          <dd className="text-sm font-semibold tabular-nums text-slate-900">{count.format(n)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Completeness of the checked columns and the duplicates found, per source. */
function Quality({ source }: { source: DataSourceOut }) {
  const { completeness, duplicates, duplicates_by: duplicatesBy = {} } = source.quality;
  if (completeness === null || completeness === undefined) {
    return <p className="text-xs text-slate-500">No records to check yet.</p>;
  }
  const by = Object.entries(duplicatesBy).filter(([, n]) => n > 0);
  return (
    <div className="space-y-2">
      <div>
        <p className="mb-1 text-xs font-medium text-slate-600">Completeness</p>
        <QualityMeter label={`${source.name} completeness`} ratio={completeness} />
        <p className="mt-1 text-xs text-slate-500">Share of filled values in {count.format(source.quality.checked_columns.length)} checked columns.</p>
      </div>
      <TableQualityList source={source} />
      <p className="text-xs text-slate-600">
        <span className="font-medium">Duplicates: </span>
        {!duplicates ? (
          'none found'
        ) : (
          <>
            {count.format(duplicates)} {duplicates === 1 ? 'record shares' : 'records share'} a key with another
            {by.length > 0 && ` (${by.map(([key, n]) => `${key.replace('.', ' by ')}: ${count.format(n)}`).join(', ')})`}
          </>
        )}
      </p>
    </div>
  );
}

/** Completeness per business table, the least complete first, with the columns that have gaps. */
function TableQualityList({ source }: { source: DataSourceOut }) {
  const tables = Object.entries(source.quality.tables ?? {})
    .filter((entry): entry is [string, TableQuality & { completeness: number }] => entry[1].completeness !== null)
    .sort((a, b) => a[1].completeness - b[1].completeness);
  if (tables.length === 0) return null;
  return (
    <details>
      <summary className="cursor-pointer text-xs font-medium text-slate-600 hover:text-slate-900">By table</summary>
      <ul aria-label={`Completeness of ${source.name} by table`} className="mt-2 space-y-2">
        {tables.map(([table, quality]) => {
          const gaps = Object.entries(quality.missing).filter(([, n]) => n > 0);
          return (
            <li key={table}>
              <p className="text-xs text-slate-700">
                {entityLabel(table)} <span className="text-slate-400">· {count.format(quality.rows)} rows</span>
              </p>
              <QualityMeter label={`${entityLabel(table)} completeness`} ratio={quality.completeness} />
              {gaps.length > 0 && (
                <p className="text-xs text-slate-500">Missing: {gaps.map(([column, n]) => `${column.replaceAll('_', ' ')} (${count.format(n)})`).join(', ')}</p>
              )}
            </li>
          );
        })}
      </ul>
    </details>
  );
}

function LastImport({ source }: { source: DataSourceOut }) {
  const last = source.detail.last_import;
  if (!last) return null;
  return (
    <p className="text-xs text-slate-600">
      <span className="font-medium">Latest file: </span>
      {last.filename} · {count.format(last.rows_imported)} {entityLabel(last.entity).toLowerCase()}
      {last.rows_failed > 0 && `, ${count.format(last.rows_failed)} rows failed`} · {source.detail.imports ?? 1} file{source.detail.imports === 1 ? '' : 's'} in all
    </p>
  );
}

function Tables({ source, onPreview }: { source: DataSourceOut; onPreview: (table: ExternalTable) => void }) {
  const tables = source.detail.tables ?? [];
  if (tables.length === 0) return <p className="text-sm text-slate-500">No tables found.</p>;
  return (
    <details className="group">
      <summary className="cursor-pointer text-sm font-medium text-slate-700 hover:text-slate-900">
        {count.format(tables.length)} {tables.length === 1 ? 'table' : 'tables'}
      </summary>
      <ul aria-label={`Tables of ${source.name}`} className="mt-2 max-h-72 divide-y divide-slate-100 overflow-auto rounded-lg ring-1 ring-slate-200">
        {tables.map((table) => (
          <li key={table.qualified_name} className="flex items-center justify-between gap-3 px-3 py-2">
            <div className="min-w-0">
              <p className="truncate font-mono text-xs text-slate-800">{table.qualified_name}</p>
              <p className="text-xs text-slate-500">
                {table.type === 'view' ? 'View' : 'Table'} · {table.columns.length} columns
                {table.row_estimate !== null && ` · ${table.rows_exact ? '' : '~'}${count.format(table.row_estimate)} rows`}
              </p>
            </div>
            <Button variant="ghost" size="sm" onClick={() => onPreview(table)} aria-label={`Preview ${table.qualified_name}`}>
              Preview
            </Button>
          </li>
        ))}
      </ul>
    </details>
  );
}

interface SourceCardProps {
  source: DataSourceOut;
  now: number;
  isAdmin: boolean;
  onPreview: (source: DataSourceOut, table: ExternalTable) => void;
  onDelete: (source: DataSourceOut) => void;
}

function SourceCard({ source, now, isAdmin, onPreview, onDelete }: SourceCardProps) {
  const titleId = useId();
  const status = statusOf(source);
  const refresh = useRefreshDatabase();
  const isDatabase = source.kind === 'database' && source.id !== null;
  const error = source.detail.last_error;
  return (
    <article aria-labelledby={titleId} className="flex flex-col gap-4 rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
      <header className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h3 id={titleId} className="truncate text-base font-semibold text-slate-900">
            {source.name}
          </h3>
          <p className="text-xs text-slate-500">
            {kindLabel(source)} · {typeLabel(source.type)}
          </p>
        </div>
        <Badge tone={status.tone}>{status.label}</Badge>
      </header>
      <Freshness source={source} now={now} />
      {error && <p className="rounded-lg bg-red-50 px-3 py-2 text-xs text-red-800">{error}</p>}
      {isDatabase ? (
        <>
          {source.detail.url_hint && <p className="truncate font-mono text-xs text-slate-600" title={source.detail.url_hint}>{source.detail.url_hint}</p>}
          <Tables source={source} onPreview={(table) => onPreview(source, table)} />
        </>
      ) : (
        <>
          <RecordCounts counts={source.record_counts} label={`Records from ${source.name}`} />
          <Quality source={source} />
          <LastImport source={source} />
        </>
      )}
      {refresh.isError && <ProblemAlert error={refresh.error} title="Could not refresh" />}
      <footer className="mt-auto flex flex-wrap items-center gap-2 border-t border-slate-100 pt-3">
        {isDatabase ? (
          isAdmin && (
            <>
              <Button variant="secondary" size="sm" loading={refresh.isPending} onClick={() => refresh.mutate(source.id!)} aria-label={`Refresh ${source.name}`}>
                {refresh.isPending ? 'Reading schema…' : 'Refresh'}
              </Button>
              <Button variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" onClick={() => onDelete(source)} aria-label={`Remove ${source.name}`}>
                Remove
              </Button>
            </>
          )
        ) : (
          <Link to="/connectors" className="text-xs font-medium text-brand-700 hover:underline">
            {source.kind === 'file_import' ? 'Import files in Connectors' : 'Manage in Connectors'}
          </Link>
        )}
      </footer>
    </article>
  );
}

function SourceGrid({ label, sources, ...card }: { label: string; sources: DataSourceOut[] } & Omit<SourceCardProps, 'source'>) {
  return (
    <ul aria-label={label} className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
      {sources.map((source) => (
        <li key={source.id ?? `${source.kind}:${source.detail.connection_id ?? source.name}`} className="flex *:w-full">
          <SourceCard source={source} {...card} />
        </li>
      ))}
    </ul>
  );
}

/**
 * Where the numbers come from: connected apps, file imports and read-only external databases, with
 * record counts, freshness and data quality. Admins add, refresh and remove external databases.
 */
export function DataSourcesPage() {
  const sources = useDataSources();
  const isAdmin = useRole() === 'admin';
  const now = useNow();
  const [adding, setAdding] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ source: DataSourceOut; table: ExternalTable } | null>(null);
  const [removing, setRemoving] = useState<DataSourceOut | null>(null);
  const remove = useDeleteDatabase(() => setRemoving(null));

  return (
    <div>
      <PageHeader
        title="Data sources"
        description="Where your numbers come from: connected apps, imported files and read-only external databases."
        actions={
          isAdmin && (
            <Button onClick={() => setAdding(true)} icon={<IconPlus className="h-4 w-4" />}>
              Add database
            </Button>
          )
        }
      />
      {added && (
        <SuccessAlert className="mb-4">
          {added} was added; its tables are listed below.
        </SuccessAlert>
      )}
      <QueryView query={sources} loadingLabel="Loading data sources…" errorTitle="Could not load the data sources">
        {(list) => {
          const feeds = list.filter((s) => s.kind !== 'database');
          const databases = list.filter((s) => s.kind === 'database');
          const card = { now, isAdmin, onPreview: (source: DataSourceOut, table: ExternalTable) => setPreview({ source, table }), onDelete: setRemoving };
          return (
            <div className="space-y-8">
              <section aria-labelledby="feeds-heading" className="space-y-3">
                <h2 id="feeds-heading" className="text-sm font-semibold uppercase tracking-wide text-slate-500">
                  Connections and files
                </h2>
                <SourceGrid label="Connections and files" sources={feeds} {...card} />
              </section>
              <section aria-labelledby="databases-heading" className="space-y-3">
                <h2 id="databases-heading" className="text-sm font-semibold uppercase tracking-wide text-slate-500">
                  External databases
                </h2>
                {databases.length === 0 ? (
                  <EmptyState
                    icon={<IconPlug className="h-6 w-6" />}
                    title="No external databases"
                    description={
                      isAdmin
                        ? 'Add a PostgreSQL, MySQL or SQLite database to browse its tables. Binelek only reads from it.'
                        : 'An admin can add a PostgreSQL, MySQL or SQLite database to browse its tables.'
                    }
                    action={
                      isAdmin && (
                        <Button variant="secondary" onClick={() => setAdding(true)} icon={<IconPlus className="h-4 w-4" />}>
                          Add database
                        </Button>
                      )
                    }
                  />
                ) : (
                  <SourceGrid label="External databases" sources={databases} {...card} />
                )}
              </section>
            </div>
          );
        }}
      </QueryView>
      <AddDatabaseDialog
        open={adding}
        onClose={() => setAdding(false)}
        onAdded={(source) => {
          setAdding(false);
          setAdded(source.name);
        }}
      />
      {preview && (
        <TablePreviewDialog sourceId={preview.source.id!} sourceName={preview.source.name} table={preview.table} onClose={() => setPreview(null)} />
      )}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.name ?? 'the database'}?`}
        description="Binelek forgets its address and password. Nothing in the database itself changes."
        confirmLabel="Remove"
        busy={remove.isPending}
        onConfirm={() => removing?.id && remove.mutate(removing.id)}
        onClose={() => {
          remove.reset();
          setRemoving(null);
        }}
        error={remove.isError ? <ProblemAlert className="mt-3" error={remove.error} title="Could not remove it" /> : undefined}
      />
    </div>
  );
}
