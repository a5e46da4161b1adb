import { beforeAll, describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { server } from '../../../test/server';
import { page, report, scan, SECURITY_URL, signedInAs } from '../testing';
import type { Scan } from '../types';

beforeAll(async () => {
  await import('./index');
}, 30_000);

const slow = { timeout: 8000 };

const webReport = report({
  check: 'web',
  target: 'http://127.0.0.1:8080/',
  grade: 'D',
  score: 25,
  report: {
    url: 'http://127.0.0.1:8080/',
    final_url: 'http://127.0.0.1:8080/',
    status_code: 200,
    grade: 'D',
    score: 25,
    tests_passed: 1,
    tests_failed: 1,
    tests: [
      { name: 'x-frame-options', result: 'x-frame-options-sameorigin-or-deny', passed: true, score_modifier: 0, description: 'X-Frame-Options is DENY or SAMEORIGIN.' },
      { name: 'content-security-policy', result: 'csp-not-implemented', passed: false, score_modifier: -25, description: 'No Content-Security-Policy header.' },
    ],
  },
});

const dnsReport = report({
  check: 'dns',
  target: 'example.com',
  report: {
    domain: 'example.com',
    spf: { record: 'v=spf1 include:_spf.google.com ~all', lookups: 4, all_qualifier: '~', errors: [], warnings: [] },
    dmarc: { record: null, errors: [], warnings: [] },
    dkim: { status: 'pass', selectors: { google: { found: true, key_type: 'rsa', key_bits: 2048 } }, errors: [] },
    mta_sts: { record: null, errors: [], warnings: [] },
    tls_rpt: { record: null, errors: [] },
    caa: { found: true, issue: ['letsencrypt.org'], errors: [], warnings: [] },
    dnssec: { signed: false },
    mx: [{ preference: 10, exchange: 'mx.example.com' }],
    unresolved: [],
  },
});

const networkReport = report({
  check: 'network',
  target: '203.0.113.7',
  report: {
    host: '203.0.113.7',
    ip: '203.0.113.7',
    ports: [{ port: 3389, protocol: 'tcp', state: 'open', service: 'rdp', risky: true, risk: 'Remote Desktop exposed', severity: 'critical' }],
    closed: 98,
    filtered: 1,
    scanned: 100,
  },
});

const finished = (base: Scan): Scan => ({
  ...base,
  status: 'succeeded',
  progress_done: 4,
  finished_at: '2026-03-02T09:01:00Z',
  summary: { new: 2, resolved: 0, reopened: 0, still_open: 0, findings: 3, passed: 1, failed_by_severity: { critical: 1, medium: 1 }, posture: { score: 62, grade: 'D' } },
  errors: [{ check: 'tls', target: '127.0.0.1:8443', error: 'CONNECTION_REFUSED: nothing listens on 8443' }],
  reports: [webReport, dnsReport, networkReport, report({ check: 'tls', target: '127.0.0.1:8443', error: 'CONNECTION_REFUSED: nothing listens on 8443' })],
  findings: [
    { id: 'f1', check_id: 'web.x_frame_options', category: 'web', target: 'http://127.0.0.1:8080/', passed: true, severity: 'medium', title: 'Clickjacking protection set', evidence: {}, remediation: '', controls: [], created_at: '2026-03-02T09:00:30Z' },
    { id: 'f2', check_id: 'web.csp', category: 'web', target: 'http://127.0.0.1:8080/', passed: false, severity: 'medium', title: 'No Content Security Policy', evidence: {}, remediation: 'Send a CSP.', controls: [], created_at: '2026-03-02T09:00:30Z' },
    { id: 'f3', check_id: 'network.port.rdp', category: 'network', target: '203.0.113.7', passed: false, severity: 'critical', title: 'Remote Desktop open', evidence: {}, remediation: 'Close 3389.', controls: [], created_at: '2026-03-02T09:00:40Z' },
  ],
});

describe('Scan page', { timeout: 20_000 }, () => {
  it('shows the progress bar while the scan runs, then the reports, errors and findings, and stops polling', async () => {
    signedInAs('member');
    const base = scan({ id: 'scan-1', status: 'queued', progress_total: 4, categories: ['web', 'tls', 'dns', 'network'] });
    const answers: Scan[] = [base, { ...base, status: 'running', progress_done: 1, reports: [webReport] }, finished(base)];
    let requests = 0;
    server.use(
      http.get(`${SECURITY_URL}/scans/scan-1`, () => {
        const answer = answers[Math.min(requests, answers.length - 1)]!;
        requests += 1;
        return HttpResponse.json(answer);
      }),
      // What the finished scan refreshes.
      http.get(`${SECURITY_URL}/scans`, () => HttpResponse.json(page([]))),
    );
    renderApp('/security/scans/scan-1');

    const bar = await screen.findByRole('progressbar', { name: 'Scan progress' }, slow);
    expect(bar.getAttribute('aria-valuetext')).toBe('0 of 4 checks done');
    expect(screen.getByTestId('scan-status').textContent).toBe('Queued');
    expect(await screen.findByText('1 of 4 checks done', {}, slow)).toBeTruthy();
    expect(screen.getByRole('progressbar', { name: 'Scan progress' }).getAttribute('aria-valuenow')).toBe('1');
    // A report shows as soon as its check is done.
    expect(screen.getByRole('region', { name: 'Web headers — http://127.0.0.1:8080/' })).toBeTruthy();

    expect(await screen.findByText('Summary', {}, slow)).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.getByTestId('scan-status').textContent).toBe('Finished');
    expect(screen.getByText('Posture after').nextElementSibling?.textContent).toBe('62 (D)');
    expect(screen.getByText('Problems').nextElementSibling?.textContent).toBe('1 critical, 1 medium');

    const web = screen.getByRole('region', { name: 'Web headers — http://127.0.0.1:8080/' });
    expect(within(web).getByTestId('web-grade').textContent).toBe('Headers D');
    const csp = within(within(web).getByRole('table')).getByText('Content Security Policy').closest('tr')!;
    expect(within(csp).getByText('−25')).toBeTruthy();

    const dns = screen.getByRole('region', { name: 'DNS and e-mail — example.com' });
    const checks = within(dns).getByRole('list', { name: 'DNS and e-mail checks for example.com' });
    expect(within(checks).getByRole('listitem', { name: 'SPF' }).textContent).toContain('OK');
    expect(within(checks).getByRole('listitem', { name: 'DMARC' }).textContent).toContain('Missing');
    expect(within(checks).getByRole('listitem', { name: 'DKIM' }).textContent).toContain('google (rsa 2048)');

    const ports = within(screen.getByRole('region', { name: 'Open ports — 203.0.113.7' })).getByRole('table', { name: 'Open ports on 203.0.113.7' });
    expect(within(ports).getByText('Remote Desktop exposed')).toBeTruthy();

    expect(within(screen.getByRole('list', { name: 'Scan errors' })).getByText(/nothing listens on 8443/)).toBeTruthy();

    const findings = screen.getByRole('table', { name: 'Findings' });
    const titles = within(findings)
      .getAllByRole('row')
      .slice(1)
      .map((row) => row.querySelector('td:nth-child(3) p')?.textContent);
    expect(titles).toEqual(['Remote Desktop open', 'No Content Security Policy', 'Clickjacking protection set']);

    const seen = requests;
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(requests).toBe(seen);
  });
});
