import { Badge, Table, type Column } from '../../../components';
import { formatDate } from '../../../lib/format';
import { GradeBadge } from '../badges';
import { Facts } from '../shared';
import type { TlsReport } from '../types';

/** Protocols a server should no longer offer: offering them is a problem, not a feature. */
const LEGACY_PROTOCOLS = new Set(['SSLv2', 'SSLv3', 'TLSv1.0', 'TLSv1.1']);

function ProtocolState({ protocol, state }: { protocol: string; state: string }) {
  if (state === 'offered') return <Badge tone={LEGACY_PROTOCOLS.has(protocol) ? 'danger' : 'success'}>Offered</Badge>;
  if (state === 'not_offered') return <Badge tone={LEGACY_PROTOCOLS.has(protocol) ? 'success' : 'neutral'}>Not offered</Badge>;
  return <Badge>Not tested</Badge>;
}

function yesNo(value: boolean | undefined): string {
  return value === undefined ? '—' : value ? 'Yes' : 'No';
}

/** TLS grade (and why it is capped), the protocols offered and the certificate's facts. */
export function TlsReportView({ report }: { report: TlsReport }) {
  const protocols = Object.entries(report.protocols ?? {}).map(([protocol, state]) => ({ protocol, state }));
  const cert = report.certificate ?? {};
  const columns: Column<{ protocol: string; state: string }>[] = [
    { key: 'protocol', header: 'Protocol', cell: (p) => <span className="font-medium text-slate-800">{p.protocol.replace('TLSv', 'TLS ')}</span> },
    { key: 'state', header: 'State', cell: (p) => <ProtocolState protocol={p.protocol} state={p.state} /> },
  ];
  const daysLeft = cert.days_left;
  const key = cert.key_type ? `${cert.key_type}${cert.key_bits ? ` ${cert.key_bits}-bit` : ''}${cert.key_curve ? ` (${cert.key_curve})` : ''}` : undefined;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3 text-sm text-slate-600">
        <span className="text-base" data-testid="tls-grade">
          <GradeBadge grade={report.grade} what="TLS" />
        </span>
        {report.score !== undefined && <span>Score {report.score} / 100</span>}
        {report.grade_if_trusted && report.grade_if_trusted !== report.grade && <span>{report.grade_if_trusted} if the certificate were trusted</span>}
        {report.host && (
          <span>
            {report.host}:{report.port ?? 443}
          </span>
        )}
      </div>
      {report.error && <p className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-800">{report.error}</p>}
      {(report.caps ?? []).length > 0 && (
        <div>
          <h4 className="text-sm font-semibold text-slate-700">Why the grade is capped</h4>
          <ul className="mt-1 list-disc space-y-0.5 pl-5 text-sm text-slate-700">
            {(report.caps ?? []).map((cap) => (
              <li key={cap}>{cap}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="grid gap-4 md:grid-cols-2">
        <Table caption="Protocols" captionVisible columns={columns} rows={protocols} rowKey={(p) => p.protocol} empty="No protocol was tested." />
        <div>
          <p className="pb-2 text-sm font-medium text-slate-700">Certificate</p>
          <Facts
            label="Certificate"
            items={[
              ['Subject', cert.subject],
              ['Issuer', cert.issuer],
              ['Names', cert.sans?.join(', ')],
              ['Valid from', formatDate(cert.not_before)],
              ['Valid until', formatDate(cert.not_after)],
              [
                'Days left',
                daysLeft === undefined ? undefined : <span className={daysLeft < 14 ? 'text-red-700' : daysLeft < 30 ? 'text-amber-700' : undefined}>{daysLeft}</span>,
              ],
              ['Key', key],
              ['Signature', cert.signature_algorithm],
              ['Chain trusted', report.chain_valid === undefined ? undefined : report.chain_valid ? 'Yes' : `No${report.chain_error ? ` — ${report.chain_error}` : ''}`],
              ['Name matches', yesNo(report.hostname_match)],
              ['Self-signed', yesNo(cert.self_signed)],
            ]}
          />
        </div>
      </div>
      {(report.weak_ciphers_accepted ?? []).length > 0 && (
        <div>
          <h4 className="text-sm font-semibold text-slate-700">Weak cipher suites accepted</h4>
          <ul className="mt-1 list-disc space-y-0.5 pl-5 font-mono text-xs text-slate-700">
            {(report.weak_ciphers_accepted ?? []).map((cipher) => (
              <li key={cipher}>{cipher}</li>
            ))}
          </ul>
        </div>
      )}
      {(report.notes ?? []).length > 0 && (
        <ul className="list-disc space-y-0.5 pl-5 text-xs text-slate-500">
          {(report.notes ?? []).map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
