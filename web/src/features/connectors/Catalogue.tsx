import { useId } from 'react';
import { Badge, Button, Card } from '../../components';
import { ConnectButton } from './ConnectButton';
import { FILE_TYPE, type CatalogueEntry } from './connectionsApi';
import { authLabel, categoryLabel, listLabel, streamLabel } from './labels';

/** The apps a tenant can connect, grouped by category, in the catalogue's order. */
export function Catalogue({ catalogue, canManage }: { catalogue: CatalogueEntry[]; canManage: boolean }) {
  // Files are brought in with the import wizard on this page, not connected.
  const apps = catalogue.filter((entry) => entry.type !== FILE_TYPE);
  const categories = [...new Set(apps.map((entry) => entry.category))];
  return (
    <Card title="Connect an app" description="Connected apps sync on a schedule, and right away when the app reports a change.">
      <div className="space-y-6">
        {categories.map((category) => (
          <CategoryGroup key={category} label={categoryLabel(category)} entries={apps.filter((entry) => entry.category === category)} canManage={canManage} />
        ))}
      </div>
    </Card>
  );
}

function CategoryGroup({ label, entries, canManage }: { label: string; entries: CatalogueEntry[]; canManage: boolean }) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId} className="mb-2 text-xs font-semibold uppercase tracking-wider text-slate-500">
        {label}
      </h3>
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label={`${label} apps`}>
        {entries.map((entry) => (
          <AppCard key={entry.type} entry={entry} canManage={canManage} />
        ))}
      </ul>
    </section>
  );
}

function AppCard({ entry, canManage }: { entry: CatalogueEntry; canManage: boolean }) {
  const nameId = useId();
  return (
    <li aria-labelledby={nameId} className="flex flex-col gap-3 rounded-lg px-4 py-3 ring-1 ring-inset ring-slate-200">
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <p id={nameId} className="text-sm font-medium text-slate-900">
            {entry.name}
          </p>
          <p className="text-xs text-slate-500">Brings in {listLabel(entry.streams.map(streamLabel))}</p>
        </div>
        {entry.available ? <Badge tone="brand">{authLabel(entry)}</Badge> : <Badge>Coming soon</Badge>}
      </div>
      {entry.available && <CardActions entry={entry} canManage={canManage} />}
    </li>
  );
}

function CardActions({ entry, canManage }: { entry: CatalogueEntry; canManage: boolean }) {
  const hintId = useId();
  const blocked = !canManage ? 'Only admins can connect apps.' : !entry.configured ? 'An administrator must configure the OAuth app.' : null;
  if (blocked) {
    return (
      <div className="flex flex-col items-start gap-1">
        <Button size="sm" disabled aria-describedby={hintId} aria-label={`Connect ${entry.name}`}>
          Connect
        </Button>
        <p id={hintId} className="text-xs text-slate-500">
          {blocked}
        </p>
      </div>
    );
  }
  const oauth = entry.auth === 'oauth2';
  return (
    <div className="flex flex-wrap items-center gap-2">
      <ConnectButton entry={entry} mode={oauth ? 'oauth' : 'key'} label="Connect" ariaLabel={`Connect ${entry.name}`} />
      {oauth && entry.key_fields.length > 0 && (
        <ConnectButton entry={entry} mode="key" label="Use an access token" variant="secondary" ariaLabel={`Connect ${entry.name} with an access token`} />
      )}
    </div>
  );
}
