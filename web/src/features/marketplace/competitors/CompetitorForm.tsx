/** Add or edit a competitor: name, website, category, location, a description and whether it is still active. */
import { useState, type FormEvent } from 'react';
import { Button, Checkbox, Field, ProblemAlert, TextArea, TextField } from '../../../components';
import { fieldErrors } from '../../../api/problem';
import { useSaveCompetitor } from '../hooks';
import type { Competitor, CompetitorIn } from '../types';
import { isWebUrl } from '../products/ProductForm';

interface Draft {
  name: string;
  website: string;
  category: string;
  location: string;
  description: string;
  active: boolean;
}

function draftOf(competitor: Competitor | undefined): Draft {
  return {
    name: competitor?.name ?? '',
    website: competitor?.website ?? '',
    category: competitor?.category ?? '',
    location: competitor?.location ?? '',
    description: competitor?.description ?? '',
    active: competitor?.is_active ?? true,
  };
}

const FIELDS = new Set(['name', 'website', 'category', 'location', 'description']);

export function CompetitorForm({ competitor, onSaved, onCancel }: { competitor?: Competitor; onSaved: (competitor: Competitor) => void; onCancel?: () => void }) {
  const save = useSaveCompetitor();
  const [draft, setDraft] = useState<Draft>(() => draftOf(competitor));
  const [local, setLocal] = useState<Record<string, string>>({});
  const server = fieldErrors(save.error);
  const errors = { ...server, ...local };
  const set = (patch: Partial<Draft>) => setDraft((current) => ({ ...current, ...patch }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problems: Record<string, string> = {};
    if (!draft.name.trim()) problems.name = 'Enter the competitor’s name.';
    if (draft.website.trim() && !isWebUrl(draft.website.trim())) problems.website = 'Enter a full web address, starting with https://.';
    setLocal(problems);
    if (Object.keys(problems).length > 0) return;
    const body: CompetitorIn = {
      name: draft.name.trim(),
      website: draft.website.trim() || null,
      category: draft.category.trim() || null,
      location: draft.location.trim() || null,
      description: draft.description.trim() || null,
      is_active: draft.active,
    };
    save.mutate(
      { id: competitor?.id, body },
      {
        onSuccess: (saved) => {
          if (!competitor) setDraft(draftOf(undefined));
          onSaved(saved);
        },
      },
    );
  };

  const unplaced = save.error && !Object.keys(server).some((key) => FIELDS.has(key));
  return (
    <form onSubmit={submit} noValidate aria-label={competitor ? `Edit ${competitor.name}` : 'Add a competitor'} className="space-y-4">
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="Name" value={draft.name} onChange={(e) => set({ name: e.target.value })} error={errors.name} required maxLength={200} />
        <TextField label="Website (optional)" type="url" placeholder="https://competitor.example.com/" value={draft.website} onChange={(e) => set({ website: e.target.value })} error={errors.website} />
        <TextField label="Category (optional)" placeholder="Coffee roaster" value={draft.category} onChange={(e) => set({ category: e.target.value })} error={errors.category} maxLength={200} />
        <TextField label="Location (optional)" placeholder="12 Market St, Portland" value={draft.location} onChange={(e) => set({ location: e.target.value })} error={errors.location} maxLength={500} />
      </div>
      <Field label="Notes (optional)" error={errors.description}>
        {(control) => <TextArea {...control} rows={3} maxLength={4000} value={draft.description} onChange={(e) => set({ description: e.target.value })} />}
      </Field>
      <Checkbox label="Active" description="Inactive competitors stay listed with their history." checked={draft.active} onChange={(e) => set({ active: e.target.checked })} />
      {unplaced && <ProblemAlert error={save.error} title="Could not save the competitor" />}
      <div className="flex gap-2">
        <Button type="submit" loading={save.isPending}>
          {competitor ? 'Save changes' : 'Add competitor'}
        </Button>
        {onCancel && (
          <Button variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}
