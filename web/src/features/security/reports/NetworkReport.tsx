import { Table, type Column } from '../../../components';
import { SeverityBadge } from '../badges';
import type { OpenPort, PortScanReport } from '../types';

/** Open ports on one host: service, what answered, and why a port is risky when it is. */
export function NetworkReportView({ report }: { report: PortScanReport }) {
  const columns: Column<OpenPort>[] = [
    { key: 'port', header: 'Port', cell: (p) => <span className="font-medium tabular-nums text-slate-800">{p.port}/{p.protocol ?? 'tcp'}</span> },
    { key: 'service', header: 'Service', cell: (p) => p.service ?? '—' },
    { key: 'product', header: 'Software', cell: (p) => [p.product, p.version].filter(Boolean).join(' ') || (p.banner ? <code className="text-xs">{p.banner.slice(0, 80)}</code> : '—') },
    {
      key: 'risk',
      header: 'Risk',
      cell: (p) =>
        p.risky ? (
          <span className="flex flex-wrap items-center gap-1.5">
            {p.severity && <SeverityBadge severity={p.severity} />}
            <span className="text-slate-700">{p.risk}</span>
          </span>
        ) : (
          <span className="text-slate-400">—</span>
        ),
    },
  ];
  const ports = report.ports ?? [];
  return (
    <div className="space-y-2">
      <p className="text-sm text-slate-600">
        {report.host}
        {report.ip && report.ip !== report.host ? ` (${report.ip})` : ''}: {ports.length} open
        {report.scanned !== undefined && ` of ${report.scanned} scanned`}
        {report.closed !== undefined && `, ${report.closed} closed`}
        {report.filtered ? `, ${report.filtered} filtered` : ''}
      </p>
      <Table caption={`Open ports on ${report.host ?? 'the host'}`} columns={columns} rows={ports} rowKey={(p) => `${p.protocol ?? 'tcp'}:${p.port}`} empty="No open port found." />
    </div>
  );
}
