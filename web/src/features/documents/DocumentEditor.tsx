import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { fieldErrors } from '../../api/problem';
import { Button, Dialog, Field, ProblemAlert, TextArea, TextField } from '../../components';
import { useTenantKey } from '../auth/session';
import { createDocument, updateDocument } from './api';
import type { DocumentIn, DocumentOut } from './types';

export const TITLE_MAX = 200;
export const TAGS_MAX = 20;
export const TAG_MAX = 40;

/** "net-30, Finance,net-30" → ["net-30", "Finance"]: trimmed, empty parts dropped, first spelling kept. */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  const tags: string[] = [];
  for (const part of text.split(',')) {
    const tag = part.trim();
    if (!tag || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    tags.push(tag);
  }
  return tags;
}

interface DocumentEditorProps {
  /** The document to edit; a new one when absent. */
  document?: DocumentOut;
  onClose: () => void;
  onSaved: (document: DocumentOut) => void;
}

/** Create or edit a document (title, body, tags) in a dialog. Rendered only while open. */
export function DocumentEditor({ document, onClose, onSaved }: DocumentEditorProps) {
  const queryClient = useQueryClient();
  const tenantKey = useTenantKey();
  const [title, setTitle] = useState(document?.title ?? '');
  const [body, setBody] = useState(document?.body ?? '');
  const [tags, setTags] = useState(document?.tags.join(', ') ?? '');
  const [tagsError, setTagsError] = useState<string | null>(null);

  const save = useMutation({
    mutationFn: (data: DocumentIn) => (document ? updateDocument(document.id, data) : createDocument(data)),
    onSuccess: (saved) => {
      queryClient.setQueryData([...tenantKey, 'documents', 'detail', saved.id], saved);
      void queryClient.invalidateQueries({ queryKey: [...tenantKey, 'documents', 'list'] });
      void queryClient.invalidateQueries({ queryKey: [...tenantKey, 'documents', 'search'] });
      onSaved(saved);
    },
  });

  const errors = fieldErrors(save.error);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseTags(tags);
    const tooLong = parsed.find((t) => t.length > TAG_MAX);
    if (parsed.length > TAGS_MAX || tooLong) {
      save.reset();
      setTagsError(tooLong ? `“${tooLong.slice(0, 20)}…” is longer than ${TAG_MAX} characters.` : `Use at most ${TAGS_MAX} tags.`);
      return;
    }
    setTagsError(null);
    save.mutate({ title: title.trim(), body, tags: parsed });
  };

  return (
    <Dialog
      open
      onClose={onClose}
      size="lg"
      title={document ? 'Edit document' : 'New document'}
      description="Documents are searchable by meaning, and the assistant can cite them in its answers."
    >
      <form className="space-y-4" onSubmit={onSubmit} noValidate aria-label={document ? 'Edit document' : 'New document'}>
        {save.isError && <ProblemAlert error={save.error} title="Could not save the document" />}
        <TextField
          label="Title"
          name="title"
          required
          maxLength={TITLE_MAX}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          error={errors.title}
        />
        <Field label="Body" error={errors.body} hint="Plain text. Long documents are searched in parts.">
          {(control) => <TextArea {...control} name="body" rows={10} value={body} onChange={(e) => setBody(e.target.value)} />}
        </Field>
        <TextField
          label="Tags"
          name="tags"
          placeholder="e.g. finance, policy"
          value={tags}
          onChange={(e) => setTags(e.target.value)}
          hint="Separate tags with commas."
          error={tagsError ?? errors.tags}
        />
        <div className="flex justify-end gap-2 pt-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} disabled={!title.trim()}>
            {document ? 'Save changes' : 'Create document'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
