/** What the business is and where: the description and categories candidates are ranked against, and the search circle. */
import { useState, type FormEvent } from 'react';
import { Button, Field, ProblemAlert, TextArea, TextField } from '../../../components';
import { fieldErrors } from '../../../api/problem';
import { useSaveProfile } from '../hooks';
import type { Profile, ProfileIn } from '../types';

const KM_PER_MILE = 1.609344;
export const MIN_RADIUS = 1;
export const MAX_RADIUS = 50;
const FIELDS = new Set(['description', 'categories', 'latitude', 'longitude', 'radius_miles']);

interface Draft {
  description: string;
  categories: string;
  latitude: string;
  longitude: string;
  radius: number;
}

function draftOf(profile: Profile | null): Draft {
  return {
    description: profile?.description ?? '',
    categories: (profile?.categories ?? []).join(', '),
    latitude: profile?.latitude != null ? String(profile.latitude) : '',
    longitude: profile?.longitude != null ? String(profile.longitude) : '',
    radius: profile?.radius_miles ?? 10,
  };
}

function coordinate(text: string, limit: number): number | null | undefined {
  if (!text.trim()) return null;
  const value = Number(text.trim());
  return Number.isFinite(value) && Math.abs(value) <= limit ? value : undefined;
}

export function radiusText(miles: number): string {
  return `${miles} ${miles === 1 ? 'mile' : 'miles'} (${Math.round(miles * KM_PER_MILE)} km)`;
}

export function ProfileForm({ profile }: { profile: Profile | null }) {
  const save = useSaveProfile();
  const [draft, setDraft] = useState<Draft>(() => draftOf(profile));
  const [local, setLocal] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const [locating, setLocating] = useState<string | null>(null);
  const server = fieldErrors(save.error);
  const errors = { ...server, ...local };
  const set = (patch: Partial<Draft>) => {
    setSaved(false);
    setDraft((current) => ({ ...current, ...patch }));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const latitude = coordinate(draft.latitude, 90);
    const longitude = coordinate(draft.longitude, 180);
    const problems: Record<string, string> = {};
    if (latitude === undefined) problems.latitude = 'A latitude from −90 to 90, such as 45.5231.';
    if (longitude === undefined) problems.longitude = 'A longitude from −180 to 180, such as −122.6765.';
    if ((latitude === null) !== (longitude === null)) problems[latitude === null ? 'latitude' : 'longitude'] = 'Enter both coordinates, or neither.';
    setLocal(problems);
    if (Object.keys(problems).length > 0) return;
    const body: ProfileIn = {
      description: draft.description.trim() || null,
      categories: draft.categories.split(',').map((c) => c.trim()).filter(Boolean).slice(0, 20),
      latitude: latitude ?? null,
      longitude: longitude ?? null,
      radius_miles: draft.radius,
    };
    save.mutate(body, { onSuccess: () => setSaved(true) });
  };

  const useMyLocation = () => {
    if (!('geolocation' in navigator)) {
      setLocating('This browser cannot tell its location: enter the coordinates.');
      return;
    }
    setLocating('Finding your location…');
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setLocating(null);
        set({ latitude: position.coords.latitude.toFixed(5), longitude: position.coords.longitude.toFixed(5) });
      },
      () => setLocating('Could not get the location: enter the coordinates.'),
      { timeout: 10_000 },
    );
  };

  const unplaced = save.error && !Object.keys(server).some((key) => FIELDS.has(key));
  return (
    <form onSubmit={submit} noValidate aria-label="Business profile" className="space-y-4">
      <Field label="What you sell" error={errors.description} hint="In your own words: candidates are ranked by how close their business is to this.">
        {(control) => (
          <TextArea
            {...control}
            rows={3}
            maxLength={4000}
            placeholder="Specialty coffee roaster and café: single-origin beans, espresso, pastries."
            value={draft.description}
            onChange={(e) => set({ description: e.target.value })}
          />
        )}
      </Field>
      <TextField
        label="Categories"
        placeholder="coffee roaster, café, bakery"
        value={draft.categories}
        onChange={(e) => set({ categories: e.target.value })}
        error={errors.categories}
        hint="Separated by commas; also the default search terms."
      />
      <div className="grid gap-4 sm:grid-cols-3">
        <TextField label="Latitude" inputMode="decimal" placeholder="45.5231" value={draft.latitude} onChange={(e) => set({ latitude: e.target.value })} error={errors.latitude} />
        <TextField label="Longitude" inputMode="decimal" placeholder="-122.6765" value={draft.longitude} onChange={(e) => set({ longitude: e.target.value })} error={errors.longitude} />
        <div className="flex items-end">
          <Button variant="secondary" onClick={useMyLocation}>
            Use my location
          </Button>
        </div>
      </div>
      {locating && <p className="text-xs text-slate-600">{locating}</p>}
      <Field
        label={`Search radius: ${radiusText(draft.radius)}`}
        error={errors.radius_miles}
        hint="Yelp searches at most 25 miles (40 km) and Google Places 31 miles (50 km) around you; beyond that, their results stop at their own limit."
      >
        {(control) => (
          <input
            {...control}
            type="range"
            min={MIN_RADIUS}
            max={MAX_RADIUS}
            step={1}
            value={draft.radius}
            aria-valuetext={radiusText(draft.radius)}
            onChange={(e) => set({ radius: Number(e.target.value) })}
            className="w-full accent-brand-600"
          />
        )}
      </Field>
      {unplaced && <ProblemAlert error={save.error} title="Could not save the profile" />}
      {saved && <p role="status" className="text-sm text-emerald-700">Profile saved.</p>}
      <Button type="submit" loading={save.isPending}>
        Save profile
      </Button>
    </form>
  );
}
