import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { problem, server } from '../../../test/server';
import { asset, SECURITY_URL, signedInAs } from '../testing';
import type { Asset } from '../types';
import { parsePorts } from './AssetForm';

beforeAll(async () => {
  await import('./AssetsPage');
}, 30_000);

const slow = { timeout: 8000 };

function serveAssets(initial: Asset[], create: (body: Record<string, unknown>) => Response | Asset) {
  const state = { assets: [...initial], posted: [] as Record<string, unknown>[], patched: [] as unknown[], deleted: [] as string[] };
  server.use(
    http.get(`${SECURITY_URL}/assets`, () => HttpResponse.json(state.assets)),
    http.post(`${SECURITY_URL}/assets`, async ({ request }) => {
      const body = (await request.json()) as Record<string, unknown>;
      state.posted.push(body);
      const outcome = create(body);
      if (outcome instanceof Response) return outcome;
      state.assets.push(outcome);
      return HttpResponse.json(outcome, { status: 201 });
    }),
    http.patch(`${SECURITY_URL}/assets/:id`, async ({ params, request }) => {
      const body = (await request.json()) as Partial<Asset>;
      state.patched.push(body);
      state.assets = state.assets.map((a) => (a.id === params.id ? { ...a, ...body } : a));
      return HttpResponse.json(state.assets.find((a) => a.id === params.id));
    }),
    http.delete(`${SECURITY_URL}/assets/:id`, ({ params }) => {
      state.deleted.push(String(params.id));
      state.assets = state.assets.filter((a) => a.id !== params.id);
      return new HttpResponse(null, { status: 204 });
    }),
  );
  return state;
}

describe('ports', () => {
  it('reads lists and ranges, and refuses what is not a port', () => {
    expect(parsePorts('')).toEqual([]);
    expect(parsePorts('22, 443 8000-8002,22')).toEqual([22, 443, 8000, 8001, 8002]);
    expect(parsePorts('0')).toBeNull();
    expect(parsePorts('70000')).toBeNull();
    expect(parsePorts('ssh')).toBeNull();
  });
});

describe('Assets', { timeout: 20_000 }, () => {
  it('says what is missing, then shows the server’s problem (a member is not an admin)', async () => {
    signedInAs('member');
    const state = serveAssets([], () => problem(403, 'ADMIN_REQUIRED', 'Forbidden', 'Only an admin may do this.'));
    const user = userEvent.setup({ delay: null });
    renderApp('/security/assets');

    expect(await screen.findByText('No assets yet — add your domain to start', {}, slow)).toBeTruthy();
    const form = screen.getByRole('form', { name: 'Add an asset' });
    await user.click(within(form).getByRole('button', { name: 'Add asset' }));
    expect(within(form).getByText('Enter what to scan.')).toBeTruthy();
    expect(within(form).getByText('Confirm that you own this asset or are allowed to test it.')).toBeTruthy();
    expect(state.posted).toEqual([]);

    await user.type(within(form).getByLabelText('Value'), 'example.com');
    await user.type(within(form).getByLabelText('Ports (optional)'), '22, 99999');
    await user.click(within(form).getByLabelText('I confirm we own this asset or are allowed to test it'));
    await user.click(within(form).getByRole('button', { name: 'Add asset' }));
    expect(within(form).getByText(/Ports are numbers from 1 to 65535/)).toBeTruthy();
    expect(state.posted).toEqual([]);

    await user.clear(within(form).getByLabelText('Ports (optional)'));
    await user.type(within(form).getByLabelText('Ports (optional)'), '22, 443');
    await user.type(within(form).getByLabelText('DKIM selectors (optional)'), 'google selector1');
    await user.click(within(form).getByRole('button', { name: 'Add asset' }));
    const problemAlert = await within(form).findByRole('alert');
    expect(problemAlert.textContent).toContain('Could not add the asset');
    expect(problemAlert.textContent).toContain('Only an admin may do this.');
    expect(state.posted).toEqual([
      { kind: 'domain', value: 'example.com', label: null, attest_ownership: true, scan_enabled: true, ports: [22, 443], dkim_selectors: ['google', 'selector1'] },
    ]);
  });

  it('puts a field error next to its field and adds the asset once fixed', async () => {
    signedInAs('admin');
    const state = serveAssets([], (body) =>
      body.value === 'not a url'
        ? problem(422, 'VALIDATION_FAILED', 'Validation failed', "'not a url': not an http(s) URL", {
            errors: [{ loc: ['body', 'value'], msg: 'Not an http(s) URL.', type: 'value_error' }],
          })
        : asset({ id: 'asset-new', kind: 'url', value: String(body.value) }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/security/assets');

    const form = await screen.findByRole('form', { name: 'Add an asset' }, slow);
    await user.selectOptions(within(form).getByLabelText('Kind'), 'url');
    expect(within(form).queryByLabelText('Ports (optional)')).toBeNull();
    await user.type(within(form).getByLabelText('Value'), 'not a url');
    await user.click(within(form).getByLabelText('I confirm we own this asset or are allowed to test it'));
    await user.click(within(form).getByRole('button', { name: 'Add asset' }));
    const value = within(form).getByLabelText('Value');
    expect(await within(form).findByText('Not an http(s) URL.')).toBeTruthy();
    expect(value.getAttribute('aria-invalid')).toBe('true');

    await user.clear(value);
    await user.type(value, 'https://shop.example.com/');
    expect((within(form).getByLabelText('I confirm we own this asset or are allowed to test it') as HTMLInputElement).checked).toBe(true);
    await user.click(within(form).getByRole('button', { name: 'Add asset' }));
    expect(await within(form).findByText('Added https://shop.example.com/. Run a scan to grade it.')).toBeTruthy();
    expect(state.posted[1]).toMatchObject({ kind: 'url', value: 'https://shop.example.com/', dkim_selectors: [], ports: [] });
    const table = await screen.findByRole('table', { name: 'Assets' });
    expect(within(table).getByText('https://shop.example.com/')).toBeTruthy();
  });

  it('lists grades, toggles scanning and deletes after confirming', async () => {
    signedInAs('admin');
    const shop = asset({ id: 'a1', kind: 'url', value: 'https://shop.example.com/', label: 'Shop', grades: { web: 'B+', tls: 'A' }, open_issues: 3 });
    const state = serveAssets([shop], () => shop);
    const user = userEvent.setup({ delay: null });
    renderApp('/security/assets');

    const table = await screen.findByRole('table', { name: 'Assets' }, slow);
    const row = within(table).getByText('https://shop.example.com/').closest('tr')!;
    expect(within(row).getByText('Web B+')).toBeTruthy();
    expect(within(row).getByText('TLS A')).toBeTruthy();
    const toggle = within(row).getByRole('switch', { name: 'Scan https://shop.example.com/' });
    expect(toggle.getAttribute('aria-checked')).toBe('true');
    await user.click(toggle);
    await waitFor(() => expect(state.patched).toEqual([{ scan_enabled: false }]));
    await waitFor(() => expect(toggle.getAttribute('aria-checked')).toBe('false'));

    await user.click(within(row).getByRole('button', { name: 'Delete https://shop.example.com/' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete https://shop.example.com/?' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete asset' }));
    await waitFor(() => expect(state.deleted).toEqual(['a1']));
    expect(await screen.findByText('No assets yet — add your domain to start')).toBeTruthy();
  });

  it('quick-checks a URL: header grade, the test table and the TLS grade with protocols', async () => {
    signedInAs('member');
    serveAssets([], () => asset());
    const sent: unknown[] = [];
    server.use(
      http.post(`${SECURITY_URL}/scan-url`, async ({ request }) => {
        sent.push(await request.json());
        return HttpResponse.json({
          url: 'https://shop.example.com/',
          headers: {
            url: 'https://shop.example.com/',
            final_url: 'https://shop.example.com/',
            status_code: 200,
            score: 60,
            grade: 'C',
            tests_passed: 1,
            tests_failed: 1,
            tests: [
              { name: 'strict-transport-security', result: 'hsts-implemented-max-age-at-least-six-months', passed: true, score_modifier: 0, description: 'HSTS set for at least six months.', data: {} },
              { name: 'content-security-policy', result: 'csp-not-implemented', passed: false, score_modifier: -25, description: 'No Content-Security-Policy header.', data: {} },
            ],
          },
          tls: {
            host: 'shop.example.com',
            port: 443,
            grade: 'B',
            score: 88,
            grade_if_trusted: 'B',
            caps: ['TLS 1.0 offered: capped at B'],
            protocols: { SSLv3: 'untested', 'TLSv1.0': 'offered', 'TLSv1.2': 'offered', 'TLSv1.3': 'not_offered' },
            certificate: { subject: 'CN=shop.example.com', issuer: 'CN=Example CA', days_left: 42, not_after: '2026-04-13T00:00:00+00:00' },
            chain_valid: true,
            hostname_match: true,
          },
          errors: [],
          findings: [],
        });
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/security/assets');

    const form = await screen.findByRole('form', { name: 'Quick check a URL' }, slow);
    await user.type(within(form).getByLabelText('URL to check'), 'https://shop.example.com/');
    await user.click(within(form).getByRole('button', { name: 'Check' }));
    const results = await screen.findByRole('region', { name: 'Results for https://shop.example.com/' });
    expect(sent).toEqual([{ url: 'https://shop.example.com/' }]);
    expect(within(results).getByTestId('web-grade').textContent).toBe('Headers C');
    const tests = within(results).getByRole('table', { name: 'Header tests for https://shop.example.com/' });
    const csp = within(tests).getByText('Content Security Policy').closest('tr')!;
    expect(within(csp).getByText('Fail')).toBeTruthy();
    expect(within(csp).getByText('−25')).toBeTruthy();
    expect(within(csp).getByText('csp-not-implemented')).toBeTruthy();
    expect(within(results).getByTestId('tls-grade').textContent).toBe('TLS B');
    expect(within(results).getByText('TLS 1.0 offered: capped at B')).toBeTruthy();
    const protocols = within(results).getByRole('table', { name: 'Protocols' });
    expect(within(within(protocols).getByText('TLS 1.0').closest('tr')!).getByText('Offered')).toBeTruthy();
    expect(within(within(protocols).getByText('TLS 1.3').closest('tr')!).getByText('Not offered')).toBeTruthy();
  });
});
