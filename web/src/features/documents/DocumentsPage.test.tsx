import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { me, organization } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { problem, server, tokens } from '../../test/server';
import { parseTags } from './DocumentEditor';
import type { DocumentOut } from './types';

const invoiceTerms: DocumentOut = {
  id: '5d1c3a8e-0000-4000-8000-000000000001',
  title: 'Invoice terms',
  body: 'We invoice net-30.\nLate invoices pay 2% a month.',
  tags: ['finance'],
  created_by: 'u1',
  created_at: '2025-01-10T09:00:00Z',
  updated_at: '2025-01-10T09:00:00Z',
};

function summary({ body: _body, ...rest }: DocumentOut) {
  return rest;
}

function signedInAs(role: 'admin' | 'member' | 'viewer', documents: DocumentOut[]) {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role } })),
    http.get('*/api/organization', () => HttpResponse.json(organization)),
    http.get('*/api/documents', () =>
      HttpResponse.json({ items: documents.map(summary), total: documents.length, limit: 20, offset: 0 }),
    ),
    http.get('*/api/documents/:id', ({ params }) => {
      const found = documents.find((d) => d.id === params.id);
      return found ? HttpResponse.json(found) : problem(404, 'NOT_FOUND', 'Not found', 'No such document.');
    }),
  );
}

describe('Documents', () => {
  it('lists documents; a member creates one and lands on its page', async () => {
    const documents: DocumentOut[] = [];
    signedInAs('member', documents);
    let posted: unknown = null;
    server.use(
      http.post('*/api/documents', async ({ request }) => {
        posted = await request.json();
        const created = { ...invoiceTerms, ...(posted as object) };
        documents.push(created);
        return HttpResponse.json(created, { status: 201 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/documents');

    expect(await screen.findByText('No documents yet')).toBeTruthy();
    await user.click(screen.getAllByRole('button', { name: 'New document' })[0]!);
    const dialog = screen.getByRole('dialog', { name: 'New document' });
    await user.type(within(dialog).getByLabelText('Title'), 'Invoice terms');
    await user.type(within(dialog).getByLabelText('Body'), 'We invoice net-30.');
    await user.type(within(dialog).getByLabelText('Tags'), 'finance, Finance , billing,');
    await user.click(within(dialog).getByRole('button', { name: 'Create document' }));

    expect(await screen.findByRole('heading', { name: 'Invoice terms', level: 1 })).toBeTruthy();
    expect(posted).toEqual({ title: 'Invoice terms', body: 'We invoice net-30.', tags: ['finance', 'billing'] });
    expect(screen.getByText('We invoice net-30.')).toBeTruthy();

    await user.click(screen.getByRole('link', { name: '← All documents' }));
    const table = await screen.findByRole('table', { name: 'Documents' });
    expect(within(table).getByRole('link', { name: 'Invoice terms' }).getAttribute('href')).toBe(`/documents/${invoiceTerms.id}`);
  });

  it('shows 422 field errors from the server on the form', async () => {
    signedInAs('admin', []);
    server.use(
      http.post('*/api/documents', () =>
        problem(422, 'VALIDATION_ERROR', 'Validation error', 'String should have at most 40 characters', {
          errors: [{ loc: ['body', 'tags', 0], msg: 'String should have at most 40 characters', type: 'string_too_long' }],
        }),
      ),
    );
    const user = userEvent.setup();
    renderApp('/documents');
    await user.click((await screen.findAllByRole('button', { name: 'New document' }))[0]!);
    const dialog = screen.getByRole('dialog', { name: 'New document' });
    await user.type(within(dialog).getByLabelText('Title'), 'T');
    await user.type(within(dialog).getByLabelText('Tags'), 'x');
    await user.click(within(dialog).getByRole('button', { name: 'Create document' }));
    await waitFor(() => expect(within(dialog).getByLabelText('Tags').getAttribute('aria-invalid')).toBe('true'));
    expect(within(dialog).getByText('String should have at most 40 characters', { selector: 'p.text-xs' })).toBeTruthy();
  });

  it('searches by meaning with kinds=document', async () => {
    signedInAs('member', [invoiceTerms]);
    const searches: URLSearchParams[] = [];
    server.use(
      http.get('*/api/search', ({ request }) => {
        const params = new URL(request.url).searchParams;
        searches.push(params);
        return HttpResponse.json({
          query: params.get('q'),
          items: [{ kind: 'document', id: invoiceTerms.id, title: 'Invoice terms', snippet: 'We invoice net-30.', url: `/documents/${invoiceTerms.id}`, score: 0.61 }],
        });
      }),
    );
    const user = userEvent.setup();
    renderApp('/documents');
    await screen.findByRole('table', { name: 'Documents' });
    await user.type(screen.getByRole('searchbox', { name: 'Search documents' }), 'when are invoices due?{Enter}');

    const results = await screen.findByRole('list', { name: 'Search results' });
    expect(within(results).getByRole('link', { name: 'Invoice terms' }).getAttribute('href')).toBe(`/documents/${invoiceTerms.id}`);
    expect(within(results).getByText('We invoice net-30.')).toBeTruthy();
    expect(searches[0]!.get('q')).toBe('when are invoices due?');
    expect(searches[0]!.get('kinds')).toBe('document');

    // Enter on the same words searches again (a new document may have been indexed meanwhile).
    await user.type(screen.getByRole('searchbox', { name: 'Search documents' }), '{Enter}');
    await waitFor(() => expect(searches).toHaveLength(2));
  });

  it('deletes after confirmation', async () => {
    const documents = [invoiceTerms];
    signedInAs('admin', documents);
    let deleted = '';
    server.use(
      http.delete('*/api/documents/:id', ({ params }) => {
        deleted = String(params.id);
        documents.splice(0, 1);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const user = userEvent.setup();
    renderApp(`/documents/${invoiceTerms.id}`);
    await user.click(await screen.findByRole('button', { name: 'Delete' }));
    const confirm = screen.getByRole('dialog', { name: 'Delete this document?' });
    expect(confirm.textContent).toContain('“Invoice terms” will be deleted');
    await user.click(within(confirm).getByRole('button', { name: 'Delete document' }));
    expect(await screen.findByText('No documents yet')).toBeTruthy();
    expect(deleted).toBe(invoiceTerms.id);
  });

  it('is read-only for a viewer', async () => {
    signedInAs('viewer', [invoiceTerms]);
    const list = renderApp('/documents');
    await screen.findByRole('table', { name: 'Documents' });
    expect(screen.queryByRole('button', { name: 'New document' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Edit Invoice terms' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete Invoice terms' })).toBeNull();
    list.unmount();

    renderApp(`/documents/${invoiceTerms.id}`);
    expect(await screen.findByRole('heading', { name: 'Invoice terms', level: 1 })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
  });

  it('parses tags: trimmed, de-duplicated ignoring case, empties dropped', () => {
    expect(parseTags(' net-30, Finance,,finance ,  ')).toEqual(['net-30', 'Finance']);
    expect(parseTags('')).toEqual([]);
  });
});
