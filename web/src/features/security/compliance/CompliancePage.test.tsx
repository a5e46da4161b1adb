import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { server } from '../../../test/server';
import { control, framework, SECURITY_URL, signedInAs } from '../testing';
import type { Framework } from '../types';

beforeAll(async () => {
  await import('./index');
}, 30_000);

const slow = { timeout: 8000 };

describe('Compliance', { timeout: 20_000 }, () => {
  it('shows each framework’s completion', async () => {
    signedInAs('member');
    server.use(
      http.get(`${SECURITY_URL}/compliance`, () =>
        HttpResponse.json([
          { framework: 'soc2', name: 'SOC 2', version: '2017', percent_complete: 40, counts: { passing: 3, manual_met: 1, failing: 2, needs_evidence: 4, not_applicable: 0, review_overdue: 0, manual_not_met: 0 } },
          { framework: 'gdpr', name: 'GDPR', version: '2016/679', percent_complete: 12.5, counts: { passing: 1, needs_evidence: 7 } },
        ]),
      ),
    );
    renderApp('/security/compliance');
    const soc2 = await screen.findByRole('listitem', { name: 'SOC 2' }, slow);
    expect(within(soc2).getByRole('meter', { name: 'SOC 2 complete' }).getAttribute('aria-valuetext')).toBe('40% complete');
    expect(within(soc2).getByText('Failing').nextElementSibling?.textContent).toBe('2');
    expect(within(soc2).getByRole('link', { name: 'Open SOC 2' }).getAttribute('href')).toBe('/security/compliance/soc2');
    expect(within(screen.getByRole('listitem', { name: 'GDPR' })).getByText('12.5%')).toBeTruthy();
  });

  it('attests a control (PUT), uploads evidence (multipart) and groups controls by category', async () => {
    signedInAs('member');
    const access = control({ id: 'CC6.1', title: 'Logical access security', category: 'Logical and physical access', automated: true, status: 'failing', reasons: ['web.hsts on https://shop.example.com/ failed'], findings: [{ check_id: 'web.hsts', target: 'https://shop.example.com/', passed: false, severity: 'high', title: 'HSTS header missing', observed_at: '2026-03-02T09:00:00Z' }] });
    const policy = control({ id: 'CC1.1', title: 'Integrity and ethical values', category: 'Control environment' });
    let current: Framework = framework([policy, access]);
    const puts: { path: string; body: unknown }[] = [];
    const uploads: { file: string | null; name: string | null; note: string | null }[] = [];
    server.use(
      http.get(`${SECURITY_URL}/compliance/soc2`, () => HttpResponse.json(current)),
      http.get(`${SECURITY_URL}/compliance`, () => HttpResponse.json([])),
      http.put(`${SECURITY_URL}/compliance/soc2/controls/:controlId`, async ({ params, request }) => {
        const body = (await request.json()) as { status: 'met'; note: string | null };
        puts.push({ path: String(params.controlId), body });
        current = {
          ...current,
          percent_complete: 50,
          controls: current.controls.map((c) =>
            c.id === params.controlId ? { ...c, status: 'manual_met', manual: { status: body.status, note: body.note, reviewed_at: '2026-03-02T10:00:00Z', review_due_at: '2026-05-31T10:00:00Z' } } : c,
          ),
        };
        return HttpResponse.json(current);
      }),
      http.post(`${SECURITY_URL}/compliance/soc2/controls/:controlId/evidence`, async ({ request }) => {
        const form = await request.formData();
        const file = form.get('file') as File | null;
        uploads.push({ file: file ? await file.text() : null, name: file?.name ?? null, note: form.get('note') as string | null });
        current = {
          ...current,
          controls: current.controls.map((c) => (c.id === 'CC1.1' ? { ...c, evidence: [{ id: 'e1', filename: 'code-of-conduct.txt', sha256: 'ab', size_bytes: 12, uploaded_at: '2026-03-02T10:05:00Z', note: 'Signed by all staff' }] } : c)),
        };
        return HttpResponse.json({ id: 'e1', control_id: 'CC1.1', filename: 'code-of-conduct.txt', sha256: 'ab', size_bytes: 12, uploaded_at: '2026-03-02T10:05:00Z', note: 'Signed by all staff' }, { status: 201 });
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/security/compliance/soc2');

    expect(await screen.findByRole('heading', { name: 'SOC 2', level: 1 }, slow)).toBeTruthy();
    expect(screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent)).toEqual(['Control environment', 'Logical and physical access']);

    const failing = screen.getByRole('listitem', { name: 'CC6.1 Logical access security' });
    expect(within(failing).getByText('Failing')).toBeTruthy();
    expect(within(within(failing).getByRole('list', { name: 'Automated findings' })).getByText('HSTS header missing')).toBeTruthy();

    const item = screen.getByRole('listitem', { name: 'CC1.1 Integrity and ethical values' });
    await user.click(within(item).getByText('Integrity and ethical values'));
    const review = within(item).getByRole('form', { name: 'Review CC1.1' });
    expect((within(review).getByRole('button', { name: 'Save review' }) as HTMLButtonElement).disabled).toBe(true);
    await user.click(within(review).getByLabelText('Met'));
    await user.type(within(review).getByLabelText('Note'), 'Code of conduct signed at onboarding.');
    await user.click(within(review).getByRole('button', { name: 'Save review' }));
    await waitFor(() => expect(puts).toEqual([{ path: 'CC1.1', body: { status: 'met', note: 'Code of conduct signed at onboarding.' } }]));
    expect(await within(item).findByText('Met (attested)')).toBeTruthy();
    expect(within(item).getByText('Review saved.')).toBeTruthy();
    expect(screen.getByTestId('percent-complete').textContent).toBe('50%');

    const upload = within(item).getByRole('form', { name: 'Upload evidence for CC1.1' });
    await user.upload(within(upload).getByLabelText('Evidence file'), new File(['we are good'], 'code-of-conduct.txt', { type: 'text/plain' }));
    await user.type(within(upload).getByLabelText('Evidence note'), 'Signed by all staff');
    await user.click(within(upload).getByRole('button', { name: 'Upload evidence' }));
    await waitFor(() => expect(uploads).toEqual([{ file: 'we are good', name: 'code-of-conduct.txt', note: 'Signed by all staff' }]));
    expect(await within(item).findByRole('button', { name: 'code-of-conduct.txt' })).toBeTruthy();
  });

  it('exports the report through the API client', async () => {
    signedInAs('viewer');
    const formats: (string | null)[] = [];
    server.use(
      http.get(`${SECURITY_URL}/compliance/soc2`, () => HttpResponse.json(framework([control()]))),
      http.get(`${SECURITY_URL}/compliance/soc2/report`, ({ request }) => {
        formats.push(new URL(request.url).searchParams.get('format'));
        return HttpResponse.json({ framework: 'soc2' }, { headers: { 'Content-Disposition': 'attachment; filename="soc2-compliance-2026-03-02.json"' } });
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/security/compliance/soc2');
    await user.click(await screen.findByRole('button', { name: 'Export JSON' }, slow));
    await waitFor(() => expect(formats).toEqual(['json']));
    // A viewer reads, but does not review or upload.
    expect(screen.queryByRole('form', { name: /Review/ })).toBeNull();
    expect(screen.queryByRole('form', { name: /Upload evidence/ })).toBeNull();
  });
});
