import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { me, organization } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { problem, server, tokens } from '../../test/server';
import type { FileImport } from './api';
import { overview } from './connectionsFixtures';

const IMPORT_ID = '7a0c0000-0000-4000-8000-000000000001';
const entities = {
  items: [
    { entity: 'customers', required: ['email', 'name'], optional: ['country', 'city', 'created_at', 'phone'] },
    { entity: 'products', required: ['sku', 'name', 'price', 'currency'], optional: ['category', 'cost', 'inventory'] },
  ],
};
const CSV = 'E-mail,Full Name,country,Notes\n"lima@x.io","Lima, Ana",PT,vip\nnot-an-email,Bad,US,\n';

function report(overrides: Partial<FileImport>): FileImport {
  return {
    id: IMPORT_ID,
    status: 'running',
    entity: 'customers',
    filename: 'people.csv',
    rows_total: 2,
    rows_imported: 0,
    rows_failed: 0,
    errors: [],
    errors_omitted: 0,
    detail: null,
    created_at: '2026-01-10T09:00:00Z',
    finished_at: null,
    ...overrides,
  };
}

const done = report({
  status: 'completed',
  rows_imported: 1,
  rows_failed: 1,
  errors: [{ row: 3, column: 'email', message: 'Not an e-mail address.' }],
  errors_omitted: 4,
  finished_at: '2026-01-10T09:00:02Z',
});

function signedInAs(role: 'admin' | 'member' | 'viewer', imports: FileImport[] = []) {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role } })),
    http.get('*/api/organization', () => HttpResponse.json(organization)),
    http.get('*/api/connectors/files/entities', () => HttpResponse.json(entities)),
    http.get('*/api/connectors/files', () => HttpResponse.json({ items: imports, total: imports.length, limit: 10, offset: 0 })),
    http.get('*/api/connectors', () => HttpResponse.json(overview())),
  );
}

function csvFile(text = CSV, name = 'people.csv') {
  return new File([text], name, { type: 'text/csv' });
}

describe('Connectors page', () => {
  it('maps the columns, previews the rows, uploads, follows the progress and shows the report', async () => {
    signedInAs('admin');
    let sent: { entity: FormDataEntryValue | null; mapping: FormDataEntryValue | null; file: File | null } | null = null;
    let polls = 0;
    server.use(
      http.post('*/api/connectors/files', async ({ request }) => {
        const form = await request.formData();
        sent = { entity: form.get('entity'), mapping: form.get('mapping'), file: form.get('file') as File | null };
        return HttpResponse.json({ import_id: IMPORT_ID }, { status: 202 });
      }),
      http.get(`*/api/connectors/files/${IMPORT_ID}`, () => {
        polls += 1;
        return HttpResponse.json(polls === 1 ? report({ rows_imported: 1 }) : done);
      }),
    );
    const user = userEvent.setup();
    renderApp('/connectors');

    const form = await screen.findByRole('form', { name: 'Import a file' });
    await user.upload(within(form).getByLabelText('File'), csvFile());

    const mapping = await within(form).findByRole('table', { name: 'Column mapping' });
    // "E-mail" normalises to e_mail, not email: the required field is reported missing until mapped.
    expect((within(mapping).getByLabelText('Field for E-mail') as HTMLSelectElement).value).toBe('');
    expect((within(mapping).getByLabelText('Field for country') as HTMLSelectElement).value).toBe('country');
    expect(within(form).getByText('Required fields without a column: email, name.')).toBeTruthy();
    expect((within(form).getByRole('button', { name: 'Import' }) as HTMLButtonElement).disabled).toBe(true);

    await user.selectOptions(within(mapping).getByLabelText('Field for E-mail'), 'email');
    await user.selectOptions(within(mapping).getByLabelText('Field for Full Name'), 'name');
    const preview = within(form).getByRole('table', { name: 'Preview of the import' });
    expect(within(preview).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['email*', 'name*', 'country']);
    expect(within(preview).getByText('Lima, Ana')).toBeTruthy();
    expect(within(preview).queryByText('vip')).toBeNull();

    await user.click(within(form).getByRole('button', { name: 'Import' }));
    await waitFor(() => expect(sent).not.toBeNull());
    expect(sent!.entity).toBe('customers');
    expect(JSON.parse(String(sent!.mapping))).toEqual({ 'E-mail': 'email', 'Full Name': 'name' });
    expect(sent!.file?.name).toBe('people.csv');

    const reportCard = await screen.findByRole('region', { name: 'Import report' });
    expect(within(reportCard).getByRole('progressbar', { name: 'Import progress' }).getAttribute('aria-valuetext')).toBe('1 of 2 rows');
    const errors = await within(reportCard).findByRole('table', { name: 'Rows not imported' }, { timeout: 3000 });
    expect(within(errors).getByText('Not an e-mail address.')).toBeTruthy();
    expect(within(reportCard).getByText('4 more not shown.')).toBeTruthy();
    const totals = within(reportCard).getByLabelText('Import totals');
    expect(totals.textContent).toContain('Imported1');
    expect(totals.textContent).toContain('Failed1');
    expect(within(reportCard).queryByRole('progressbar')).toBeNull();
    expect(polls).toBe(2);
  });

  it('shows a 422 on the field it names', async () => {
    signedInAs('admin');
    server.use(
      http.post('*/api/connectors/files', () =>
        problem(422, 'VALIDATION_ERROR', 'Validation error', 'The file has no column for name (required for customers).', {
          errors: [{ loc: ['body', 'file'], msg: 'The file has no column for name (required for customers).', type: 'value_error' }],
        }),
      ),
    );
    const user = userEvent.setup();
    renderApp('/connectors');
    const form = await screen.findByRole('form', { name: 'Import a file' });
    await user.upload(within(form).getByLabelText('File'), csvFile('email,name\na@x.io,Ana\n'));
    await within(form).findByRole('table', { name: 'Column mapping' });
    await user.click(within(form).getByRole('button', { name: 'Import' }));
    await waitFor(() => expect(within(form).getByLabelText('File').getAttribute('aria-invalid')).toBe('true'));
    expect(within(form).getByText('The file has no column for name (required for customers).')).toBeTruthy();
  });

  it('sends an XLSX file without a preview, with a typed mapping', async () => {
    signedInAs('admin');
    let mapping: FormDataEntryValue | null = 'unset';
    server.use(
      http.post('*/api/connectors/files', async ({ request }) => {
        mapping = (await request.formData()).get('mapping');
        return HttpResponse.json({ import_id: IMPORT_ID }, { status: 202 });
      }),
      http.get(`*/api/connectors/files/${IMPORT_ID}`, () => HttpResponse.json(done)),
    );
    const user = userEvent.setup();
    renderApp('/connectors');
    const form = await screen.findByRole('form', { name: 'Import a file' });
    await user.upload(within(form).getByLabelText('File'), new File(['PK'], 'people.xlsx'));
    expect(within(form).queryByRole('table', { name: 'Column mapping' })).toBeNull();
    await user.type(within(form).getByLabelText('Column mapping (optional)'), 'E-mail=email');
    await user.click(within(form).getByRole('button', { name: 'Import' }));
    await screen.findByRole('table', { name: 'Rows not imported' });
    expect(JSON.parse(String(mapping))).toEqual({ 'E-mail': 'email' });
  });

  it('lists recent imports for a viewer, opens a report on click, and hides the upload', async () => {
    signedInAs('viewer', [done]);
    server.use(http.get(`*/api/connectors/files/${IMPORT_ID}`, () => HttpResponse.json(done)));
    const user = userEvent.setup();
    renderApp('/connectors');
    const table = await screen.findByRole('table', { name: 'Recent imports' });
    expect(screen.queryByRole('form', { name: 'Import a file' })).toBeNull();
    expect(screen.getByText(/Only admins can import files/)).toBeTruthy();
    expect(within(table).getByText('Completed')).toBeTruthy();
    await user.click(within(table).getByRole('button', { name: 'people.csv' }));
    const reportCard = await screen.findByRole('region', { name: 'Import report' });
    expect(await within(reportCard).findByText('Not an e-mail address.')).toBeTruthy();
  });

  it('lists the apps to connect next to the file import', async () => {
    signedInAs('admin');
    renderApp('/connectors');
    expect(await screen.findByRole('list', { name: 'Commerce apps' })).toBeTruthy();
    expect(screen.getByRole('form', { name: 'Import a file' })).toBeTruthy();
    expect(screen.getByText('No apps connected yet')).toBeTruthy();
  });
});
