import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { Badge, Card, EmptyState, Input, PageHeader, Pager, QueryView, Table, type Column } from '../../../components';
import { IconShield } from '../../../components/Icons';
import { formatCompactDateTime } from '../../../lib/format';
import { canWrite, useRole } from '../../auth/session';
import { FactIcon } from '../badges';
import { useDevices } from '../hooks';
import type { Device } from '../types';
import { EnrolPanel } from './EnrolPanel';

const PAGE_SIZE = 25;

export function osText(device: Pick<Device, 'os_name' | 'os_version' | 'os_family'>): string {
  return [device.os_name ?? device.os_family, device.os_version].filter(Boolean).join(' ') || 'Unknown OS';
}

/** /security/devices: the inventory the agents report, and how to enrol more devices. */
export function DevicesPage() {
  const role = useRole();
  const [offset, setOffset] = useState(0);
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => {
      setQ(search.trim());
      setOffset(0);
    }, 300);
    return () => clearTimeout(timer);
  }, [search]);
  const devices = useDevices({ q: q || undefined, limit: PAGE_SIZE, offset });
  const columns: Column<Device>[] = [
    {
      key: 'hostname',
      header: 'Device',
      cell: (d) => (
        <div className="min-w-0">
          <Link to={`/security/devices/${d.id}`} className="font-medium text-slate-900 hover:text-brand-700">
            {d.hostname ?? d.ips[0] ?? 'Unnamed device'}
          </Link>
          <p className="text-xs text-slate-500">{d.ips.slice(0, 2).join(', ')}</p>
        </div>
      ),
    },
    { key: 'os', header: 'OS', cell: (d) => osText(d) },
    { key: 'seen', header: 'Last seen', cell: (d) => formatCompactDateTime(d.last_seen_at) },
    { key: 'known', header: 'Known', cell: (d) => (d.known ? <Badge tone="success">Known</Badge> : <Badge tone="warning">Unknown</Badge>) },
    {
      key: 'security',
      header: 'Disk · firewall · lock',
      cell: (d) => (
        <span className="flex gap-1">
          <FactIcon name="Disk encryption" value={d.disk_encryption} />
          <FactIcon name="Firewall" value={d.firewall} />
          <FactIcon name="Screen lock" value={d.screen_lock} />
        </span>
      ),
    },
    { key: 'issues', header: 'Open issues', cell: (d) => <span className={d.open_issues > 0 ? 'font-medium text-red-700' : 'text-slate-500'}>{d.open_issues}</span> },
    { key: 'vulns', header: 'Vulnerabilities', cell: (d) => <span className={d.vulnerabilities > 0 ? 'font-medium text-red-700' : 'text-slate-500'}>{d.vulnerabilities}</span> },
  ];
  return (
    <div className="space-y-5">
      <PageHeader title="Devices" description="Computers and servers: reported by the agent, or found on your office range by a scan." />
      <Card padded={false} title="Inventory" actions={<Input aria-label="Search devices" type="search" placeholder="Search hostnames" value={search} onChange={(e) => setSearch(e.target.value)} className="w-56" />}>
        <QueryView query={devices} loadingLabel="Loading devices" errorTitle="Could not load devices">
          {(page) =>
            page.items.length === 0 ? (
              <EmptyState
                className="m-4"
                icon={<IconShield className="h-6 w-6" />}
                title={q ? 'No device matches' : 'No devices yet'}
                description={q ? 'Try another hostname.' : 'Enrol one with the agent below, or add your office range as an asset and scan it.'}
              />
            ) : (
              <div className="p-2">
                <Table caption="Devices" columns={columns} rows={page.items} rowKey={(d) => d.id} />
                <Pager label="Device pages" total={page.total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
              </div>
            )
          }
        </QueryView>
      </Card>
      {canWrite(role) && <EnrolPanel admin={role === 'admin'} />}
    </div>
  );
}
