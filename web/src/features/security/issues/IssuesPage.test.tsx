import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { problem, server } from '../../../test/server';
import { issue, page, SECURITY_URL, signedInAs } from '../testing';
import type { Issue } from '../types';
import { filtersFromSearch, queryFromFilters, searchFromFilters } from './filters';

beforeAll(async () => {
  await import('./index');
}, 30_000);

const slow = { timeout: 8000 };

describe('issue filters', () => {
  it('round-trip through the URL and become the API query', () => {
    const filters = filtersFromSearch(new URLSearchParams('status=open&status=bogus&severity=high&category=tls&q=%20hsts%20&page=2'));
    expect(filters).toEqual({ status: ['open'], severity: ['high'], category: 'tls', q: ' hsts ', page: 2 });
    expect(searchFromFilters(filters).toString()).toBe('status=open&severity=high&category=tls&q=hsts&page=2');
    expect(queryFromFilters(filters)).toEqual({ status: ['open'], severity: ['high'], category: 'tls', q: 'hsts', limit: 25, offset: 50 });
    expect(queryFromFilters(filtersFromSearch(new URLSearchParams()))).toEqual({ limit: 25, offset: 0 });
  });
});

describe('Issues', { timeout: 20_000 }, () => {
  it('sends the chosen filters to the API', async () => {
    signedInAs('member');
    const queries: URLSearchParams[] = [];
    server.use(
      http.get(`${SECURITY_URL}/issues`, ({ request }) => {
        const params = new URL(request.url).searchParams;
        queries.push(params);
        return HttpResponse.json(page([issue({ title: 'HSTS header missing' })], 40));
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/security/issues');

    expect(await screen.findByRole('link', { name: 'HSTS header missing' }, slow)).toBeTruthy();
    const statuses = screen.getByRole('group', { name: 'Status' });
    await user.click(within(statuses).getByRole('button', { name: 'Open' }));
    await user.click(within(statuses).getByRole('button', { name: 'Risk accepted' }));
    await user.click(within(screen.getByRole('group', { name: 'Severity' })).getByRole('button', { name: 'Critical' }));
    await user.selectOptions(screen.getByLabelText('Category'), 'tls');
    await user.type(screen.getByRole('searchbox', { name: 'Search issues' }), 'cert');
    await waitFor(() => {
      const last = queries[queries.length - 1]!;
      expect(last.getAll('status')).toEqual(['open', 'accepted']);
      expect(last.getAll('severity')).toEqual(['critical']);
      expect(last.get('category')).toBe('tls');
      expect(last.get('q')).toBe('cert');
      expect(last.get('offset')).toBe('0');
    });

    await user.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(queries[queries.length - 1]!.get('offset')).toBe('25'));
    expect(queries[queries.length - 1]!.getAll('status')).toEqual(['open', 'accepted']);
  });

  it('accepting a risk asks for a reason, then sends it', async () => {
    signedInAs('member');
    let current: Issue = issue({ id: 'issue-1', title: 'TLS 1.0 offered', category: 'tls', severity: 'medium', evidence: { protocols: ['TLSv1.0', 'TLSv1.2'], host: 'shop.example.com' } });
    const patches: unknown[] = [];
    server.use(
      http.get(`${SECURITY_URL}/issues/issue-1`, () => HttpResponse.json(current)),
      http.patch(`${SECURITY_URL}/issues/issue-1`, async ({ request }) => {
        const body = (await request.json()) as Partial<Issue>;
        patches.push(body);
        current = { ...current, ...body };
        return HttpResponse.json(current);
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/security/issues/issue-1');

    expect(await screen.findByRole('heading', { name: 'TLS 1.0 offered', level: 1 }, slow)).toBeTruthy();
    // The evidence is shown as a table of facts; the remediation and controls with it.
    const evidence = screen.getByRole('table', { name: 'Evidence' });
    expect(within(evidence).getByRole('rowheader', { name: 'Protocols' }).nextElementSibling?.textContent).toBe('TLSv1.0, TLSv1.2');
    expect(screen.getByText('Send Strict-Transport-Security: max-age=63072000.')).toBeTruthy();
    expect(within(screen.getByRole('list', { name: 'Compliance controls' })).getByText('SOC 2 CC6.7')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Accept the risk…' }));
    const dialog = screen.getByRole('dialog', { name: 'Accept this risk' });
    await user.click(within(dialog).getByRole('button', { name: 'Accept risk' }));
    expect(within(dialog).getByText('Say why the risk is acceptable.')).toBeTruthy();
    expect(patches).toEqual([]);

    await user.type(within(dialog).getByLabelText('Reason'), 'Legacy point-of-sale terminals; retired in June.');
    await user.click(within(dialog).getByRole('button', { name: 'Accept risk' }));
    await waitFor(() => expect(patches).toEqual([{ status: 'accepted', accepted_reason: 'Legacy point-of-sale terminals; retired in June.' }]));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.getByTestId('issue-status').textContent).toBe('Risk accepted');
    expect(screen.getByText('Legacy point-of-sale terminals; retired in June.')).toBeTruthy();
  });

  it('shows the server’s reason when accepting is refused, and saves the assignee', async () => {
    signedInAs('member');
    let current: Issue = issue({ id: 'issue-2', title: 'SPF missing' });
    const patches: unknown[] = [];
    server.use(
      http.get(`${SECURITY_URL}/issues/issue-2`, () => HttpResponse.json(current)),
      http.patch(`${SECURITY_URL}/issues/issue-2`, async ({ request }) => {
        const body = (await request.json()) as Partial<Issue>;
        patches.push(body);
        if (body.status === 'accepted') {
          return problem(422, 'VALIDATION_FAILED', 'Validation failed', 'Say why the risk is accepted.', {
            errors: [{ loc: ['body', 'accepted_reason'], msg: 'Say why the risk is accepted.', type: 'value_error' }],
          });
        }
        current = { ...current, ...body };
        return HttpResponse.json(current);
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/security/issues/issue-2');

    await user.click(await screen.findByRole('button', { name: 'Accept the risk…' }, slow));
    const dialog = screen.getByRole('dialog', { name: 'Accept this risk' });
    await user.type(within(dialog).getByLabelText('Reason'), '   x');
    await user.click(within(dialog).getByRole('button', { name: 'Accept risk' }));
    expect(await within(dialog).findByText('Say why the risk is accepted.')).toBeTruthy();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));

    const form = screen.getByRole('form', { name: 'Owner and due date' });
    await user.selectOptions(within(form).getByLabelText('Assignee'), 'u2');
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(patches[patches.length - 1]).toEqual({ assignee_id: 'u2' }));
    expect(await within(form).findByText('Saved.')).toBeTruthy();
  });
});
