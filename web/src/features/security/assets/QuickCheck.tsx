import { useState, type FormEvent } from 'react';
import { Button, Card, Input, ProblemAlert } from '../../../components';
import { canWrite, useRole } from '../../auth/session';
import { useScanUrl } from '../hooks';
import { TlsReportView } from '../reports/TlsReport';
import { WebReportView } from '../reports/WebReport';
import type { HeadersReport, TlsReport } from '../types';

/** "Quick check a URL": the header grade and TLS for one address, right away, without saving anything. */
export function QuickCheck() {
  const check = useScanUrl();
  const [url, setUrl] = useState('');
  const writer = canWrite(useRole());
  if (!writer) return null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (url.trim()) check.mutate(url.trim());
  };
  const result = check.data;
  return (
    <Card title="Quick check a URL" description="Grades a page’s security headers (like the MDN HTTP Observatory) and its TLS, right now. Nothing is saved.">
      <form onSubmit={submit} aria-label="Quick check a URL" className="flex flex-wrap gap-2">
        <Input aria-label="URL to check" type="url" placeholder="https://www.example.com/" value={url} onChange={(e) => setUrl(e.target.value)} className="min-w-[16rem] flex-1" />
        <Button type="submit" loading={check.isPending} disabled={!url.trim()}>
          Check
        </Button>
      </form>
      <ProblemAlert error={check.error} title="Could not check the URL" className="mt-3" />
      {check.isPending && <p className="mt-3 text-sm text-slate-500">Checking… this takes a few seconds.</p>}
      {result && (
        <section aria-label={`Results for ${result.url}`} className="mt-4 space-y-5">
          {result.errors.length > 0 && (
            <ul className="space-y-1 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-800">
              {result.errors.map((error, i) => (
                <li key={i}>
                  <span className="font-medium">{error.check}:</span> {error.error}
                </li>
              ))}
            </ul>
          )}
          {result.headers && (
            <div>
              <h3 className="mb-2 text-sm font-semibold text-slate-800">Security headers</h3>
              <WebReportView report={result.headers as HeadersReport} caption={`Header tests for ${result.url}`} />
            </div>
          )}
          {result.tls && (
            <div>
              <h3 className="mb-2 text-sm font-semibold text-slate-800">TLS</h3>
              <TlsReportView report={result.tls as TlsReport} />
            </div>
          )}
          {!result.tls && result.url.startsWith('http://') && <p className="text-sm text-slate-500">Plain http:// — there is no TLS to grade.</p>}
        </section>
      )}
    </Card>
  );
}
