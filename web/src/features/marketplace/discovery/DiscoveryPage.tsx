/**
 * /marketplace/discover: the business profile (what it sells, where, how far to look), the organisation's
 * Google Places and Yelp keys, and "Find competitors": nearby businesses ranked by how close they are
 * to this one, to accept as competitors or dismiss.
 */
import { useState, type FormEvent } from 'react';
import { Badge, Button, Card, PageHeader, ProblemAlert, QueryView, TextField } from '../../../components';
import { canWrite, useRole } from '../../auth/session';
import { PROVIDER_LABELS } from '../format';
import { useCandidates, useDiscover, useProfile, useProviderKeys } from '../hooks';
import type { Discovery, Profile } from '../types';
import { Candidates } from './Candidates';
import { ProfileForm, radiusText } from './ProfileForm';
import { ProviderKeys } from './ProviderKeys';

export function DiscoveryPage() {
  const writer = canWrite(useRole());
  const profile = useProfile();
  const candidates = useCandidates();
  return (
    <div className="space-y-5">
      <PageHeader title="Discovery" description="Find the businesses near you that sell what you sell, ranked by how alike they are." />
      <div className="grid gap-5 lg:grid-cols-2">
        <Card title="Business profile" description="Candidates are compared with this description, these categories and your tracked products.">
          <QueryView query={profile} loadingLabel="Loading the profile" errorTitle="Could not load the profile">
            {(data) => (writer ? <ProfileForm profile={data} /> : <ProfileSummary profile={data} />)}
          </QueryView>
        </Card>
        <Card title="Provider keys" description="Your own keys: searches are billed to your Google Cloud or Yelp account. Stored encrypted.">
          <ProviderKeys writer={writer} />
        </Card>
      </div>
      <Card title="Find competitors">
        {profile.data !== undefined && <FindCompetitors profile={profile.data} writer={writer} />}
      </Card>
      <Card title="Suggestions" description="Best match first. Accepting one adds it to your competitors; dismissed ones are not suggested again.">
        <QueryView query={candidates} loadingLabel="Loading suggestions" errorTitle="Could not load the suggestions">
          {(rows) => <Candidates candidates={rows} writer={writer} />}
        </QueryView>
      </Card>
    </div>
  );
}

function ProfileSummary({ profile }: { profile: Profile | null }) {
  if (!profile) return <p className="text-sm text-slate-500">No profile yet. A member of your team can set it up.</p>;
  return (
    <div className="space-y-1 text-sm text-slate-700">
      <p>{profile.description ?? 'No description.'}</p>
      <p className="text-slate-500">{(profile.categories ?? []).join(', ') || 'No categories.'}</p>
      <p className="text-slate-500">Within {radiusText(profile.radius_miles)}.</p>
    </div>
  );
}

function FindCompetitors({ profile, writer }: { profile: Profile | null; writer: boolean }) {
  const discover = useDiscover();
  const keys = useProviderKeys();
  const [query, setQuery] = useState('');
  const located = profile?.latitude != null && profile?.longitude != null;
  const hasKey = (keys.data ?? []).length > 0;
  const blocker = !located ? 'Save the business’s location in the profile first.' : keys.data && !hasKey ? 'Save a Google Places or Yelp key first.' : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!profile) return;
    discover.mutate({ radius_miles: profile.radius_miles, query: query.trim() || null });
  };

  return (
    <div className="space-y-4">
      {writer && (
        <form onSubmit={submit} noValidate aria-label="Find competitors" className="flex flex-wrap items-end gap-3">
          <TextField
            label="Search for (optional)"
            fieldClassName="min-w-64 flex-1"
            placeholder={(profile?.categories ?? []).join(', ') || 'coffee roaster'}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            hint={profile ? `Within ${radiusText(profile.radius_miles)} of the profile’s location. Empty: your categories.` : undefined}
            maxLength={200}
          />
          <Button type="submit" loading={discover.isPending} disabled={blocker !== null} className="mb-5">
            Find competitors
          </Button>
        </form>
      )}
      {blocker && <p className="text-sm text-amber-700">{blocker}</p>}
      <ProblemAlert error={discover.error} title="Could not search for competitors" />
      {discover.data && <DiscoveryOutcome result={discover.data} />}
    </div>
  );
}

function DiscoveryOutcome({ result }: { result: Discovery }) {
  return (
    <section aria-label="Search results" className="space-y-2 rounded-lg bg-slate-50 p-3 ring-1 ring-inset ring-slate-200">
      <p className="text-sm font-medium text-slate-800">
        {result.candidates.length === 0 ? 'No new businesses found.' : `${result.candidates.length} new suggestion${result.candidates.length === 1 ? '' : 's'} below.`}
      </p>
      <ul aria-label="Providers" className="flex flex-wrap gap-3 text-sm">
        {Object.entries(result.providers).map(([provider, outcome]) => (
          <li key={provider} className="flex items-center gap-2">
            <span className="text-slate-600">{PROVIDER_LABELS[provider] ?? provider}:</span>
            <Badge tone={outcome === 'ok' ? 'success' : outcome.startsWith('skipped') ? 'neutral' : 'danger'}>{outcome === 'ok' ? 'OK' : outcome}</Badge>
          </li>
        ))}
      </ul>
      {result.notes.length > 0 && (
        <ul className="list-disc space-y-0.5 pl-5 text-xs text-slate-600">
          {result.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
