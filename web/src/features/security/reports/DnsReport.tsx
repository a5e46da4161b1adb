import type { ReactNode } from 'react';
import { Badge } from '../../../components';
import type { DnsReport, DnsSection } from '../types';

type Status = { tone: 'success' | 'warning' | 'danger' | 'neutral'; text: string };

function text(value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (Array.isArray(value)) return value.length ? value.map(String).join(', ') : undefined;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'object') return undefined;
  return String(value);
}

function sectionStatus(section: DnsSection | undefined, present: boolean, unresolved: boolean): Status {
  if (unresolved) return { tone: 'neutral', text: 'Lookup failed' };
  if (!section) return { tone: 'neutral', text: 'Not checked' };
  if ((section.errors ?? []).length > 0) return { tone: 'danger', text: 'Problems' };
  if (!present) return { tone: 'warning', text: 'Missing' };
  if ((section.warnings ?? []).length > 0) return { tone: 'warning', text: 'Warnings' };
  return { tone: 'success', text: 'OK' };
}

interface Row {
  key: keyof DnsReport & string;
  name: string;
  present: (section: DnsSection) => boolean;
  facts: (section: DnsSection) => [string, string | undefined][];
}

const ROWS: Row[] = [
  {
    key: 'spf',
    name: 'SPF',
    present: (s) => Boolean(s.record),
    facts: (s) => [
      ['Record', text(s.record)],
      ['DNS lookups', text(s.lookups)],
      ['All', text(s.all_qualifier)],
    ],
  },
  {
    key: 'dmarc',
    name: 'DMARC',
    present: (s) => Boolean(s.record),
    facts: (s) => [
      ['Policy', text(s.applied_policy ?? s.policy)],
      ['Subdomains', text(s.subdomain_policy)],
      ['Percent', text(s.pct)],
      ['Reports to', text(s.rua)],
    ],
  },
  {
    key: 'dkim',
    name: 'DKIM',
    present: (s) => s.status === 'pass',
    facts: (s) => {
      const selectors = s.selectors && typeof s.selectors === 'object' ? (s.selectors as Record<string, { found?: boolean; key_type?: string; key_bits?: number }>) : {};
      const found = Object.entries(selectors).filter(([, v]) => v?.found);
      return [
        ['Status', text(s.status)],
        ['Selectors found', found.length ? found.map(([name, v]) => `${name}${v.key_type ? ` (${v.key_type}${v.key_bits ? ` ${v.key_bits}` : ''})` : ''}`).join(', ') : 'none'],
        ['Selectors tried', text(s.checked_selectors)],
      ];
    },
  },
  {
    key: 'mta_sts',
    name: 'MTA-STS',
    present: (s) => Boolean(s.record),
    facts: (s) => [
      ['Mode', text(s.mode)],
      ['Record', text(s.record)],
    ],
  },
  {
    key: 'tls_rpt',
    name: 'TLS-RPT',
    present: (s) => Boolean(s.record),
    facts: (s) => [['Reports to', text(s.rua)]],
  },
  {
    key: 'caa',
    name: 'CAA',
    present: (s) => Boolean(s.found),
    facts: (s) => [
      ['May issue', text(s.issue)],
      ['Wildcards', text(s.issuewild)],
    ],
  },
  {
    key: 'dnssec',
    name: 'DNSSEC',
    present: (s) => Boolean(s.signed),
    facts: (s) => [
      ['Signed', text(s.signed)],
      ['Algorithms', text(s.algorithms)],
      ['Note', text(s.note)],
    ],
  },
];

/** Mail authentication and DNS hygiene at a glance: one row per record with its status and key facts. */
export function DnsReportView({ report }: { report: DnsReport }) {
  const unresolved = new Set(report.unresolved ?? []);
  return (
    <div className="space-y-3">
      <ul aria-label={`DNS and e-mail checks for ${report.domain ?? 'the domain'}`} className="divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200">
        {ROWS.map((row) => {
          const section = report[row.key] as DnsSection | undefined;
          const status = sectionStatus(section, section ? row.present(section) : false, unresolved.has(row.key));
          const facts = section ? row.facts(section).filter((f): f is [string, string] => Boolean(f[1])) : [];
          const problems: ReactNode[] = [...(section?.errors ?? []), ...(section?.warnings ?? [])].map((message) => <li key={message}>{message}</li>);
          return (
            <li key={row.key} aria-label={row.name} className="grid gap-2 px-3 py-2.5 text-sm sm:grid-cols-[8rem_1fr]">
              <div className="flex items-center gap-2">
                <span className="font-semibold text-slate-800">{row.name}</span>
                <Badge tone={status.tone}>{status.text}</Badge>
              </div>
              <div className="min-w-0 space-y-1">
                {facts.length > 0 && (
                  <dl className="flex flex-wrap gap-x-4 gap-y-1 text-slate-600">
                    {facts.map(([name, value]) => (
                      <div key={name} className="min-w-0">
                        <dt className="inline text-slate-500">{name}: </dt>
                        <dd className="inline break-all font-mono text-xs text-slate-800">{value}</dd>
                      </div>
                    ))}
                  </dl>
                )}
                {problems.length > 0 && <ul className="list-disc pl-5 text-xs text-slate-600">{problems}</ul>}
              </div>
            </li>
          );
        })}
      </ul>
      {(report.mx ?? []).length > 0 && (
        <p className="text-xs text-slate-500">
          Mail servers: {(report.mx ?? []).map((mx) => `${mx.exchange ?? '?'} (${mx.preference ?? '?'})`).join(', ')}
        </p>
      )}
    </div>
  );
}
