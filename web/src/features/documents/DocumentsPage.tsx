import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { Badge, Button, Card, ConfirmDialog, Dialog, EmptyState, Pager, PageHeader, ProblemAlert, QueryView, Table, type Column } from '../../components';
import { IconDocument, IconPlus, IconSearch } from '../../components/Icons';
import { formatCompactDateTime, formatDateTime } from '../../lib/format';
import { canWrite, useRole, useTenantKey } from '../auth/session';
import { DOCUMENTS_PAGE } from './api';
import { DocumentEditor } from './DocumentEditor';
import { useDeleteDocument, useDocument, useDocumentList, useDocumentSearch } from './hooks';
import type { DocumentSummary, SearchHit } from './types';

const SEARCH_DELAY_MS = 300;

export function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <span className="text-slate-400">—</span>;
  return (
    <ul className="flex flex-wrap gap-1" aria-label="Tags">
      {tags.map((t) => (
        <li key={t}>
          <Badge>{t}</Badge>
        </li>
      ))}
    </ul>
  );
}

/** /documents: the company's documents, a search by meaning, and (for members and admins) editing. */
export function DocumentsPage() {
  const writer = canWrite(useRole());
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const q = (params.get('q') ?? '').trim();
  const [creating, setCreating] = useState(false);
  const queryClient = useQueryClient();
  const tenantKey = useTenantKey();
  const search = useCallback(
    (next: string) => {
      // Searching again for the same words asks again: a new document may have been indexed since.
      if (next && next === q) void queryClient.invalidateQueries({ queryKey: [...tenantKey, 'documents', 'search', next] });
      else setParams(next ? { q: next } : {}, { replace: true });
    },
    [q, queryClient, setParams, tenantKey],
  );

  return (
    <>
      <PageHeader
        title="Documents"
        description="Notes, policies and playbooks your team and the assistant can search by meaning."
        actions={
          writer && (
            <Button icon={<IconPlus className="h-4 w-4" />} onClick={() => setCreating(true)}>
              New document
            </Button>
          )
        }
      />
      <Card padded={false}>
        <div className="border-b border-slate-100 px-5 py-4">
          <SearchBox initial={q} onSearch={search} />
        </div>
        <div className="px-2 py-2">{q ? <SearchResultsView q={q} /> : <DocumentList writer={writer} onCreate={() => setCreating(true)} />}</div>
      </Card>
      {creating && <DocumentEditor onClose={() => setCreating(false)} onSaved={(d) => navigate(`/documents/${d.id}`)} />}
    </>
  );
}

function SearchBox({ initial, onSearch }: { initial: string; onSearch: (q: string) => void }) {
  const id = useId();
  const [text, setText] = useState(initial);
  // Search as the user types, once they pause.
  useEffect(() => {
    const next = text.trim();
    if (next === initial) return;
    const t = setTimeout(() => onSearch(next), SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [text, initial, onSearch]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSearch(text.trim());
  };
  return (
    <form role="search" aria-label="Search documents" onSubmit={submit} className="relative max-w-xl">
      <label htmlFor={id} className="sr-only">
        Search documents
      </label>
      <IconSearch className="pointer-events-none absolute left-3 top-1/2 h-4 w-4 -translate-y-1/2 text-slate-400" />
      <input
        id={id}
        type="search"
        value={text}
        maxLength={200}
        onChange={(e) => setText(e.target.value)}
        placeholder="Search by meaning, e.g. “when are invoices due?”"
        className="block w-full rounded-lg border-0 bg-white py-2 pl-9 pr-3 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-brand-600 focus:outline-none"
      />
    </form>
  );
}

function SearchResultsView({ q }: { q: string }) {
  const results = useDocumentSearch(q);
  return (
    <QueryView query={results} loadingLabel="Searching documents" errorTitle="Search failed">
      {(data) =>
        data.items.length === 0 ? (
          <EmptyState
            className="m-3"
            icon={<IconSearch className="h-6 w-6" />}
            title={`No documents match “${q}”`}
            description="A document saved a moment ago may take a few seconds to become searchable."
          />
        ) : (
          <ol aria-label="Search results" className="divide-y divide-slate-100">
            {data.items.map((hit: SearchHit) => (
              <li key={`${hit.kind}:${hit.id}`} className="px-3 py-3">
                <Link to={hit.url} className="font-medium text-brand-600 hover:text-brand-700">
                  {hit.title}
                </Link>
                <p className="mt-0.5 text-sm text-slate-600">{hit.snippet}</p>
              </li>
            ))}
          </ol>
        )
      }
    </QueryView>
  );
}

function DocumentList({ writer, onCreate }: { writer: boolean; onCreate: () => void }) {
  const [offset, setOffset] = useState(0);
  const documents = useDocumentList(offset);
  const [editing, setEditing] = useState<string | null>(null);
  const [removing, setRemoving] = useState<DocumentSummary | null>(null);
  const remove = useDeleteDocument(() => setRemoving(null));

  const columns: Column<DocumentSummary>[] = [
    {
      key: 'title',
      header: 'Title',
      cell: (d) => (
        <Link to={`/documents/${d.id}`} className="font-medium text-slate-900 hover:text-brand-700">
          {d.title}
        </Link>
      ),
    },
    { key: 'tags', header: 'Tags', cell: (d) => <Tags tags={d.tags} /> },
    {
      key: 'updated',
      header: 'Updated',
      className: 'whitespace-nowrap',
      cell: (d) => (
        <time dateTime={d.updated_at} title={formatDateTime(d.updated_at)}>
          {formatCompactDateTime(d.updated_at)}
        </time>
      ),
    },
  ];
  if (writer) {
    columns.push({
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      className: 'text-right whitespace-nowrap',
      cell: (d) => (
        <div className="flex justify-end gap-2">
          <Button variant="secondary" size="sm" aria-label={`Edit ${d.title}`} onClick={() => setEditing(d.id)}>
            Edit
          </Button>
          <Button variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" aria-label={`Delete ${d.title}`} onClick={() => setRemoving(d)}>
            Delete
          </Button>
        </div>
      ),
    });
  }

  return (
    <>
      <QueryView query={documents} loadingLabel="Loading documents" errorTitle="Could not load documents">
        {(page) =>
          page.total === 0 ? (
            <EmptyState
              className="m-3"
              icon={<IconDocument className="h-6 w-6" />}
              title="No documents yet"
              description={writer ? 'Add your first policy, price list or how-to.' : 'Members and admins of your company can add documents.'}
              action={
                writer && (
                  <Button icon={<IconPlus className="h-4 w-4" />} onClick={onCreate}>
                    New document
                  </Button>
                )
              }
            />
          ) : (
            <>
              <Table caption="Documents" columns={columns} rows={page.items} rowKey={(d) => d.id} />
              <Pager total={page.total} limit={DOCUMENTS_PAGE} offset={offset} onChange={setOffset} label="Documents pages" />
            </>
          )
        }
      </QueryView>
      {editing && <EditLoader id={editing} onClose={() => setEditing(null)} />}
      <ConfirmDialog
        open={removing !== null}
        title="Delete this document?"
        description={removing ? `“${removing.title}” will be deleted for everyone in your company and removed from search.` : ''}
        confirmLabel="Delete document"
        busy={remove.isPending}
        onConfirm={() => removing && remove.mutate(removing.id)}
        onClose={() => {
          setRemoving(null);
          remove.reset();
        }}
        error={remove.isError ? <ProblemAlert className="mt-3" error={remove.error} title="Could not delete" /> : null}
      />
    </>
  );
}

/** The list holds summaries; editing needs the body, so load the document first. */
function EditLoader({ id, onClose }: { id: string; onClose: () => void }) {
  const document = useDocument(id);
  if (document.isPending) return null;
  if (document.isError) {
    return (
      <Dialog
        open
        onClose={onClose}
        title="Could not open the document"
        size="sm"
        footer={
          <Button variant="secondary" onClick={onClose}>
            Close
          </Button>
        }
      >
        <ProblemAlert error={document.error} />
      </Dialog>
    );
  }
  return <DocumentEditor document={document.data} onClose={onClose} onSaved={onClose} />;
}
