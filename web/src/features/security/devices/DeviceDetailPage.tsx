import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { Badge, Button, Card, Input, PageSpinner, ProblemAlert, Table, type Column } from '../../../components';
import { formatDateTime } from '../../../lib/format';
import { canWrite, useRole } from '../../auth/session';
import { FactIcon, IssueStatusBadge, SeverityBadge } from '../badges';
import { useDevice, useUpdateDevice } from '../hooks';
import { Facts } from '../shared';
import type { DeviceDetail, DevicePackage, Issue } from '../types';
import { osText } from './DevicesPage';

export function DeviceDetailPage() {
  const { deviceId } = useParams();
  const device = useDevice(deviceId);
  if (device.isPending) return <PageSpinner label="Loading the device" />;
  if (device.isError || !device.data) return <ProblemAlert error={device.error} title="Could not load the device" />;
  return <DeviceView device={device.data} />;
}

function DeviceView({ device }: { device: DeviceDetail }) {
  const writer = canWrite(useRole());
  const update = useUpdateDevice();
  const name = device.hostname ?? device.ips[0] ?? 'Unnamed device';
  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <Link to="/security/devices" className="text-sm text-slate-500 hover:text-brand-700">
            ← Devices
          </Link>
          <h1 className="mt-1 text-2xl font-semibold tracking-tight text-slate-900">{name}</h1>
          <div className="mt-1 flex flex-wrap items-center gap-2 text-sm text-slate-500">
            {device.known ? <Badge tone="success">Known</Badge> : <Badge tone="warning">Unknown device</Badge>}
            <span>{osText(device)}</span>
            <span>last seen {formatDateTime(device.last_seen_at)}</span>
          </div>
        </div>
        {writer && !device.known && (
          <Button loading={update.isPending} onClick={() => update.mutate({ id: device.id, known: true })}>
            Mark as known
          </Button>
        )}
      </div>
      <ProblemAlert error={update.error} title="Could not mark the device as known" />
      <div className="grid gap-5 lg:grid-cols-3">
        <Card title="Facts" className="lg:col-span-2">
          <Facts
            label="Device facts"
            items={[
              ['Operating system', osText(device)],
              ['Kernel', device.kernel],
              ['Architecture', device.arch],
              ['Model', device.model],
              ['IP addresses', device.ips.join(', ') || undefined],
              ['MAC addresses', device.macs.join(', ') || undefined],
              ['Open ports', device.open_ports.join(', ') || undefined],
              ['Reported by', device.source === 'agent' ? `Agent ${device.agent_version ?? ''}`.trim() : device.source],
              ['First seen', formatDateTime(device.first_seen_at)],
              ['Last update installed', formatDateTime(device.last_update_at)],
              ['Packages', String(device.package_count)],
            ]}
          />
        </Card>
        <Card title="Protection">
          <ul className="space-y-2 text-sm">
            {(
              [
                ['Disk encryption', device.disk_encryption],
                ['Firewall', device.firewall],
                ['Screen lock', device.screen_lock],
                ['Automatic updates', device.auto_updates],
              ] as const
            ).map(([fact, value]) => (
              <li key={fact} className="flex items-center justify-between">
                <span className="text-slate-700">{fact}</span>
                <span className="flex items-center gap-2 text-xs text-slate-500">
                  {value === null ? 'unknown' : value ? 'on' : 'off'}
                  <FactIcon name={fact} value={value} />
                </span>
              </li>
            ))}
          </ul>
        </Card>
      </div>
      <IssuesCard issues={device.issues ?? []} />
      <PackagesCard packages={device.packages ?? []} />
    </div>
  );
}

function IssuesCard({ issues }: { issues: Issue[] }) {
  const columns: Column<Issue>[] = [
    { key: 'severity', header: 'Severity', cell: (i) => <SeverityBadge severity={i.severity} /> },
    {
      key: 'title',
      header: 'Issue',
      cell: (i) => (
        <Link to={`/security/issues/${i.id}`} className="font-medium text-slate-900 hover:text-brand-700">
          {i.title}
        </Link>
      ),
    },
    { key: 'status', header: 'Status', cell: (i) => <IssueStatusBadge status={i.status} /> },
    { key: 'seen', header: 'Last seen', cell: (i) => formatDateTime(i.last_seen_at) },
  ];
  return (
    <Card title="Issues" padded={false}>
      <div className="p-2">
        <Table caption="Device issues" columns={columns} rows={issues} rowKey={(i) => i.id} empty="No issues on this device." />
      </div>
    </Card>
  );
}

function PackagesCard({ packages }: { packages: DevicePackage[] }) {
  const [search, setSearch] = useState('');
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const matching = needle ? packages.filter((p) => p.name.toLowerCase().includes(needle) || (p.source_name ?? '').toLowerCase().includes(needle)) : packages;
    return matching.slice(0, 500);
  }, [packages, search]);
  const columns: Column<DevicePackage>[] = [
    { key: 'name', header: 'Package', cell: (p) => <span className="font-medium text-slate-800">{p.name}</span> },
    { key: 'version', header: 'Version', cell: (p) => <code className="text-xs">{p.version}</code> },
    { key: 'source', header: 'Source', cell: (p) => p.source },
    { key: 'ecosystem', header: 'Ecosystem', cell: (p) => p.ecosystem ?? '—' },
  ];
  return (
    <Card
      title="Installed packages"
      description={`${packages.length} reported${shown.length < packages.length ? `, ${shown.length} shown` : ''}.`}
      padded={false}
      actions={<Input aria-label="Search packages" type="search" placeholder="Search packages" value={search} onChange={(e) => setSearch(e.target.value)} className="w-56" />}
    >
      <div className="max-h-[32rem] overflow-auto p-2">
        <Table caption="Installed packages" columns={columns} rows={shown} rowKey={(p) => `${p.source}:${p.name}:${p.version}`} empty={search ? 'No package matches.' : 'No packages reported.'} />
      </div>
    </Card>
  );
}
