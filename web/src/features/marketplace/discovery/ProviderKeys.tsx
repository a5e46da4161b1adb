/** The organisation's own Google Places and Yelp keys: saved encrypted, shown only by their last four characters. */
import { useState, type FormEvent } from 'react';
import { Button, ProblemAlert, QueryView, TextField } from '../../../components';
import { formatDate } from '../../../lib/format';
import { PROVIDER_LABELS } from '../format';
import { useDeleteProviderKey, useProviderKeys, useSaveProviderKey } from '../hooks';
import { PROVIDERS, type Provider, type ProviderKey } from '../types';

const WHERE: Record<Provider, string> = {
  google: 'Google Cloud console → APIs & Services → Credentials, with “Places API (New)” enabled.',
  yelp: 'Yelp Fusion: yelp.com/developers → Create app.',
};

export function ProviderKeys({ writer }: { writer: boolean }) {
  const keys = useProviderKeys();
  return (
    <QueryView query={keys} loadingLabel="Loading provider keys" errorTitle="Could not load the provider keys">
      {(rows) => (
        <ul aria-label="Provider keys" className="divide-y divide-slate-100">
          {PROVIDERS.map((provider) => (
            <ProviderKeyRow key={provider} provider={provider} saved={rows.find((k) => k.provider === provider)} writer={writer} />
          ))}
        </ul>
      )}
    </QueryView>
  );
}

function ProviderKeyRow({ provider, saved, writer }: { provider: Provider; saved: ProviderKey | undefined; writer: boolean }) {
  const save = useSaveProviderKey();
  const remove = useDeleteProviderKey();
  const [value, setValue] = useState('');
  const [replacing, setReplacing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = PROVIDER_LABELS[provider] ?? provider;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const key = value.trim();
    if (key.length < 8) {
      setError('Paste the whole key (at least 8 characters).');
      return;
    }
    setError(null);
    save.mutate(
      { provider, apiKey: key },
      {
        onSuccess: () => {
          setValue('');
          setReplacing(false);
        },
      },
    );
  };

  return (
    <li aria-label={name} className="space-y-2 py-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div>
          <p className="font-medium text-slate-900">{name}</p>
          {saved ? (
            <p className="text-sm text-slate-600">
              Saved: <span className="font-mono" data-testid={`${provider}-key`}>••••{saved.last4}</span>
              <span className="text-slate-400"> · {formatDate(saved.updated_at)}</span>
            </p>
          ) : (
            <p className="text-sm text-slate-500">No key saved. {WHERE[provider]}</p>
          )}
        </div>
        {writer && saved && !replacing && (
          <div className="flex gap-2">
            <Button size="sm" variant="secondary" onClick={() => setReplacing(true)}>
              Replace
            </Button>
            <Button size="sm" variant="ghost" loading={remove.isPending} onClick={() => remove.mutate(provider)} aria-label={`Delete the ${name} key`}>
              Delete
            </Button>
          </div>
        )}
      </div>
      {writer && (!saved || replacing) && (
        <form onSubmit={submit} noValidate aria-label={`${name} key`} className="flex flex-wrap items-start gap-2">
          <TextField
            label={`${name} API key`}
            type="password"
            autoComplete="off"
            spellCheck={false}
            fieldClassName="min-w-64 flex-1"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            error={error}
            maxLength={500}
          />
          <div className="flex gap-2 pt-7">
            <Button type="submit" size="sm" loading={save.isPending}>
              Save key
            </Button>
            {replacing && (
              <Button size="sm" variant="ghost" onClick={() => setReplacing(false)}>
                Cancel
              </Button>
            )}
          </div>
        </form>
      )}
      <ProblemAlert error={save.error} title={`Could not save the ${name} key`} />
      <ProblemAlert error={remove.error} title={`Could not delete the ${name} key`} />
    </li>
  );
}
