import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { Button, Card, ConfirmDialog, ProblemAlert, QueryView } from '../../components';
import { formatDateTime } from '../../lib/format';
import { canWrite, useRole } from '../auth/session';
import { DocumentEditor } from './DocumentEditor';
import { useDeleteDocument, useDocument } from './hooks';
import { Tags } from './DocumentsPage';

/** /documents/:id — one document, with Edit and Delete for members and admins. */
export function DocumentPage() {
  const { id } = useParams<{ id: string }>();
  const writer = canWrite(useRole());
  const navigate = useNavigate();
  const document = useDocument(id);
  const [editing, setEditing] = useState(false);
  const [removing, setRemoving] = useState(false);
  const remove = useDeleteDocument(() => navigate('/documents', { replace: true }));

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-4 text-sm">
        <Link to="/documents" className="font-medium text-brand-600 hover:text-brand-700">
          ← All documents
        </Link>
      </nav>
      <QueryView query={document} loadingLabel="Loading the document" errorTitle="Could not load the document">
        {(doc) => (
          <article aria-labelledby="document-title">
            <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
              <div className="min-w-0">
                <h1 id="document-title" className="text-2xl font-semibold tracking-tight break-words text-slate-900">
                  {doc.title}
                </h1>
                <p className="mt-1 text-sm text-slate-500">
                  Updated <time dateTime={doc.updated_at}>{formatDateTime(doc.updated_at)}</time>
                </p>
                <div className="mt-2">
                  <Tags tags={doc.tags} />
                </div>
              </div>
              {writer && (
                <div className="flex gap-2">
                  <Button variant="secondary" onClick={() => setEditing(true)}>
                    Edit
                  </Button>
                  <Button variant="danger" onClick={() => setRemoving(true)}>
                    Delete
                  </Button>
                </div>
              )}
            </div>
            <Card>
              {doc.body ? (
                <div className="whitespace-pre-wrap break-words text-sm leading-relaxed text-slate-800">{doc.body}</div>
              ) : (
                <p className="text-sm text-slate-500">This document has no body yet.</p>
              )}
            </Card>
            {editing && <DocumentEditor document={doc} onClose={() => setEditing(false)} onSaved={() => setEditing(false)} />}
            <ConfirmDialog
              open={removing}
              title="Delete this document?"
              description={`“${doc.title}” will be deleted for everyone in your company and removed from search.`}
              confirmLabel="Delete document"
              busy={remove.isPending}
              onConfirm={() => remove.mutate(doc.id)}
              onClose={() => {
                setRemoving(false);
                remove.reset();
              }}
              error={remove.isError ? <ProblemAlert className="mt-3" error={remove.error} title="Could not delete" /> : null}
            />
          </article>
        )}
      </QueryView>
    </>
  );
}
