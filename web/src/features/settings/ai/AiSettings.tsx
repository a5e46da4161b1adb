import { useEffect, useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import { ApiError, fieldErrors } from '../../../api/problem';
import {
  Badge,
  Button,
  Card,
  Checkbox,
  ConfirmDialog,
  Pager,
  PageSpinner,
  ProblemAlert,
  QueryView,
  Select,
  SelectField,
  Spinner,
  SuccessAlert,
  Table,
  TextField,
  type Column,
} from '../../../components';
import { IconPlus } from '../../../components/Icons';
import { formatDate, formatDateTime } from '../../../lib/format';
import { useMe, useTenantKey } from '../../auth/session';
import { MODULES } from '../../shell/modules';
import { AddKeyDialog } from './AddKeyDialog';
import { UsageCard } from './UsageCard';
import type { KeyProviderId, LlmApiKey, LlmApiKeyPage, LlmProvider, LlmProviderList, LlmSettings, LlmSettingsUpdate, ProviderId } from './types';

const PAGE = 20;

function useProviders(): UseQueryResult<LlmProviderList, ApiError> {
  const key = useTenantKey();
  return useQuery<LlmProviderList, ApiError>({
    queryKey: [...key, 'llm', 'providers'],
    queryFn: () => unwrap(api.GET('/api/llm/providers')),
  });
}

function providerName(providers: LlmProvider[], id: string | null | undefined): string {
  if (!id) return '—';
  return providers.find((p) => p.id === id)?.name ?? id;
}

export function AiSettings() {
  const me = useMe();
  const queryClient = useQueryClient();
  const key = useTenantKey();
  const providers = useProviders();
  const [adding, setAdding] = useState<KeyProviderId | null>(null);
  const [saved, setSaved] = useState<LlmApiKey | null>(null);

  if (me.isPending) return <PageSpinner label="Loading AI settings" />;
  if (me.isError) return <ProblemAlert error={me.error} />;
  const isAdmin = me.data.current_tenant.role === 'admin';
  const providerList = providers.data?.items ?? [];

  return (
    <>
      <ProvidersCard
        providers={providers}
        isAdmin={isAdmin}
        onAdd={(id) => {
          setSaved(null);
          setAdding(id);
        }}
      />
      {isAdmin && <KeysCard providers={providerList} saved={saved} onDismissSaved={() => setSaved(null)} />}
      <UsageCard />
      <DefaultsCard providers={providers} readOnly={!isAdmin} />
      {isAdmin && adding && (
        <AddKeyDialog
          provider={adding}
          providers={providerList}
          onClose={() => setAdding(null)}
          onSaved={(k) => {
            setAdding(null);
            setSaved(k);
            void queryClient.invalidateQueries({ queryKey: [...key, 'llm', 'api-keys'] });
            void queryClient.invalidateQueries({ queryKey: [...key, 'llm', 'providers'] });
          }}
        />
      )}
    </>
  );
}

function ProviderStatus({ provider }: { provider: LlmProvider }) {
  if (provider.id === 'local') return <Badge tone="brand">Built in</Badge>;
  if (provider.configured) return <Badge tone="success">Configured</Badge>;
  if (!provider.requires_key) return <Badge>No key needed</Badge>;
  return <Badge tone="warning">Needs a key</Badge>;
}

const SHOWN_MODELS = 4;

function Models({ models }: { models: string[] }) {
  if (models.length === 0) return <span className="text-slate-400">—</span>;
  const rest = models.slice(SHOWN_MODELS);
  return (
    <ul className="flex max-w-md flex-wrap gap-1" aria-label="Models">
      {models.slice(0, SHOWN_MODELS).map((m) => (
        <li key={m}>
          <Badge className="font-mono">{m}</Badge>
        </li>
      ))}
      {rest.length > 0 && (
        <li className="self-center text-xs text-slate-500" title={rest.join(', ')}>
          +{rest.length} more
        </li>
      )}
    </ul>
  );
}

function ProvidersCard({
  providers,
  isAdmin,
  onAdd,
}: {
  providers: UseQueryResult<LlmProviderList, ApiError>;
  isAdmin: boolean;
  onAdd: (id: KeyProviderId) => void;
}) {
  const columns: Column<LlmProvider>[] = [
    { key: 'name', header: 'Provider', cell: (p) => <span className="font-medium text-slate-900">{p.name}</span> },
    { key: 'models', header: 'Models', cell: (p) => <Models models={p.models} /> },
    { key: 'status', header: 'Status', cell: (p) => <ProviderStatus provider={p} /> },
  ];
  if (isAdmin) {
    columns.push({
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      className: 'text-right',
      cell: (p) => {
        const id = p.id;
        if (id === 'local') return null; // the built-in engine needs nothing
        return (
          <Button variant="secondary" size="sm" icon={<IconPlus className="h-4 w-4" />} aria-label={`Add key for ${p.name}`} onClick={() => onAdd(id)}>
            Add key
          </Button>
        );
      },
    });
  }
  return (
    <Card
      title="Providers"
      description="The built-in offline engine always works. Add a key to use a hosted model, or point Binelek at your own Ollama server."
      padded={false}
    >
      <div className="px-2 py-2">
        <QueryView query={providers} loadingLabel="Loading providers" errorTitle="Could not load AI providers">
          {(data) => (
            <Table caption="AI providers" columns={columns} rows={data.items} rowKey={(p) => p.id} empty="No providers available." />
          )}
        </QueryView>
      </div>
    </Card>
  );
}

function KeyStatus({ apiKey }: { apiKey: LlmApiKey }) {
  const title = apiKey.last_verified_at ? `Last checked ${formatDateTime(apiKey.last_verified_at)}` : 'Not checked yet';
  return (
    <span title={title}>
      {apiKey.status === 'valid' ? (
        <Badge tone="success">Valid</Badge>
      ) : apiKey.status === 'invalid' ? (
        <Badge tone="danger">Invalid</Badge>
      ) : (
        <Badge tone="warning">Unverified</Badge>
      )}
    </span>
  );
}

function savedMessage(k: LlmApiKey, providers: LlmProvider[]): string {
  const name = providerName(providers, k.provider);
  if (k.status === 'valid') return `${name} ${k.last4 ? 'key' : 'connection'} saved and verified.`;
  if (k.status === 'invalid') return `${name} key saved, but ${name} refused it. Check the key and add it again.`;
  return `${name} ${k.last4 ? 'key' : 'connection'} saved. ${name} could not be reached to check it, so it is marked unverified.`;
}

function KeysCard({ providers, saved, onDismissSaved }: { providers: LlmProvider[]; saved: LlmApiKey | null; onDismissSaved: () => void }) {
  const key = useTenantKey();
  const queryClient = useQueryClient();
  const [offset, setOffset] = useState(0);
  const [removing, setRemoving] = useState<LlmApiKey | null>(null);

  const keys = useQuery<LlmApiKeyPage, ApiError>({
    queryKey: [...key, 'llm', 'api-keys', offset],
    queryFn: () => unwrap(api.GET('/api/llm/api-keys', { params: { query: { limit: PAGE, offset } } })),
    placeholderData: keepPreviousData,
  });

  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/llm/api-keys/{key_id}', { params: { path: { key_id: id } } })),
    onSuccess: () => {
      setRemoving(null);
      onDismissSaved();
      void queryClient.invalidateQueries({ queryKey: [...key, 'llm', 'api-keys'] });
      void queryClient.invalidateQueries({ queryKey: [...key, 'llm', 'providers'] });
    },
  });

  const columns: Column<LlmApiKey>[] = [
    { key: 'provider', header: 'Provider', cell: (k) => <span className="font-medium text-slate-900">{providerName(providers, k.provider)}</span> },
    {
      key: 'label',
      header: 'Label',
      cell: (k) => (
        <div className="max-w-[14rem]">
          <p className="truncate">{k.label || <span className="text-slate-400">—</span>}</p>
          {k.base_url && (
            <p className="truncate text-xs text-slate-500" title={k.base_url}>
              {k.base_url}
            </p>
          )}
        </div>
      ),
    },
    {
      key: 'key',
      header: 'Key',
      cell: (k) =>
        k.last4 ? (
          <code className="whitespace-nowrap rounded bg-slate-100 px-1.5 py-0.5 text-xs" aria-label={`Key ending in ${k.last4}`}>
            •••• {k.last4}
          </code>
        ) : (
          <span className="text-slate-400">No key</span>
        ),
    },
    { key: 'status', header: 'Status', cell: (k) => <KeyStatus apiKey={k} /> },
    { key: 'added', header: 'Added', cell: (k) => formatDate(k.created_at), className: 'whitespace-nowrap' },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      className: 'text-right',
      cell: (k) => (
        <Button variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" aria-label={`Remove ${k.label || providerName(providers, k.provider)} key`} onClick={() => setRemoving(k)}>
          Remove
        </Button>
      ),
    },
  ];

  return (
    <Card title="API keys" description="Keys are stored encrypted. After saving, only the last 4 characters are ever shown." padded={false}>
      <div className="px-2 py-2">
        {saved && <SuccessAlert className="m-3">{savedMessage(saved, providers)}</SuccessAlert>}
        <QueryView query={keys} loadingLabel="Loading API keys" errorTitle="Could not load API keys">
          {(data) => (
            <>
              <Table
                caption="AI provider API keys"
                columns={columns}
                rows={data.items}
                rowKey={(k) => k.id}
                empty="No keys yet — the built-in offline engine works without one."
              />
              <div className="pb-2">
                <Pager total={data.total} limit={data.limit || PAGE} offset={data.offset} onChange={setOffset} label="API key pages" />
              </div>
            </>
          )}
        </QueryView>
      </div>
      <ConfirmDialog
        open={removing !== null}
        title="Remove API key?"
        description={
          removing
            ? `Binelek will stop using “${removing.label || providerName(providers, removing.provider)}” (${providerName(providers, removing.provider)}) immediately. AI features that rely on it fall back to your fallback provider or the built-in engine.`
            : ''
        }
        confirmLabel="Remove key"
        busy={remove.isPending}
        error={remove.isError ? <ProblemAlert className="mt-3" error={remove.error} /> : null}
        onConfirm={() => removing && remove.mutate(removing.id)}
        onClose={() => {
          setRemoving(null);
          remove.reset();
        }}
      />
    </Card>
  );
}

// ---------------------------------------------------------------------------------------------
// Defaults

const AI_MODULES = MODULES.flatMap((m) => (m.key ? [{ key: m.key as string, label: m.label }] : []));

interface OverrideForm {
  provider: string;
  model: string;
}

interface FormState {
  default_provider: string;
  default_model: string;
  temperature: string;
  fallback_provider: string;
  monthly_token_budget: string;
  auto_run_write_tools: boolean;
  overrides: Record<string, OverrideForm>;
}

function toForm(s: LlmSettings): FormState {
  const overrides: Record<string, OverrideForm> = {};
  for (const [module, o] of Object.entries(s.module_overrides ?? {})) overrides[module] = { provider: o.provider, model: o.model ?? '' };
  return {
    default_provider: s.default_provider,
    default_model: s.default_model ?? '',
    temperature: String(s.temperature),
    fallback_provider: s.fallback_provider ?? '',
    monthly_token_budget: s.monthly_token_budget == null ? '' : String(s.monthly_token_budget),
    auto_run_write_tools: s.auto_run_write_tools,
    overrides,
  };
}

function toBody(f: FormState, temperature: number): LlmSettingsUpdate {
  const module_overrides: NonNullable<LlmSettingsUpdate['module_overrides']> = {};
  for (const [module, o] of Object.entries(f.overrides)) {
    if (o.provider) module_overrides[module] = { provider: o.provider as ProviderId, model: o.model || null };
  }
  const budget = f.monthly_token_budget.trim();
  return {
    default_provider: f.default_provider as ProviderId,
    default_model: f.default_model || null,
    temperature,
    module_overrides,
    fallback_provider: (f.fallback_provider || null) as ProviderId | null,
    monthly_token_budget: budget === '' ? null : Number(budget),
    auto_run_write_tools: f.auto_run_write_tools,
  };
}

/** 422 errors under `module_overrides.<module>…` → `{module: message}`. */
function overrideErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || !error.problem.errors) return {};
  const out: Record<string, string> = {};
  for (const e of error.problem.errors) {
    const i = e.loc.indexOf('module_overrides');
    if (i < 0) continue;
    const module = e.loc[i + 1];
    const k = typeof module === 'string' ? module : '_';
    if (!(k in out)) out[k] = e.msg;
  }
  return out;
}

function modelOptions(provider: LlmProvider | undefined, current: string) {
  const models = provider?.models ?? [];
  const options = [{ value: '', label: 'Provider default' }, ...models.map((m) => ({ value: m, label: m }))];
  if (current && !models.includes(current)) options.push({ value: current, label: current });
  return options;
}

function providerOptions(providers: LlmProvider[], current: string) {
  const options = providers.map((p) => ({
    value: p.id as string,
    label: p.configured || !p.requires_key ? p.name : `${p.name} (needs a key)`,
  }));
  if (current && !providers.some((p) => p.id === current)) options.push({ value: current, label: current });
  return options;
}

function DefaultsCard({ providers, readOnly }: { providers: UseQueryResult<LlmProviderList, ApiError>; readOnly: boolean }) {
  const key = useTenantKey();
  const settings = useQuery<LlmSettings, ApiError>({
    queryKey: [...key, 'llm', 'settings'],
    queryFn: () => unwrap(api.GET('/api/llm/settings')),
  });
  const loading = settings.isPending || providers.isPending;
  const error = settings.error ?? providers.error;
  return (
    <Card title="Defaults" description={readOnly ? 'Only admins can change these settings.' : 'Which model answers by default, and how much AI your company may use.'}>
      {loading ? (
        <div className="flex justify-center py-10">
          <Spinner label="Loading AI defaults" />
        </div>
      ) : error || !settings.data || !providers.data ? (
        <ProblemAlert error={error} title="Could not load AI settings" />
      ) : (
        <DefaultsForm settings={settings.data} providers={providers.data.items} readOnly={readOnly} />
      )}
    </Card>
  );
}

function DefaultsForm({ settings, providers, readOnly }: { settings: LlmSettings; providers: LlmProvider[]; readOnly: boolean }) {
  const queryClient = useQueryClient();
  const key = useTenantKey();
  const [form, setForm] = useState<FormState>(() => toForm(settings));
  useEffect(() => setForm(toForm(settings)), [settings]);

  const save = useMutation({
    mutationFn: (body: LlmSettingsUpdate) => unwrap(api.PUT('/api/llm/settings', { body })),
    onSuccess: (updated) => queryClient.setQueryData([...key, 'llm', 'settings'], updated),
  });

  const [temperatureError, setTemperatureError] = useState<string | null>(null);
  const errors = fieldErrors(save.error);
  const rowErrors = overrideErrors(save.error);
  const byId = (id: string) => providers.find((p) => p.id === id);

  const setDefaultProvider = (id: string) =>
    setForm((f) => ({ ...f, default_provider: id, default_model: byId(id)?.models.includes(f.default_model) ? f.default_model : '' }));
  const setOverride = (module: string, next: OverrideForm) => setForm((f) => ({ ...f, overrides: { ...f.overrides, [module]: next } }));

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    // A blank number input would otherwise be sent as 0; the server validates the range.
    const temperature = form.temperature.trim() === '' ? Number.NaN : Number(form.temperature);
    if (!Number.isFinite(temperature)) {
      save.reset();
      setTemperatureError('Enter a temperature between 0 and 2.');
      return;
    }
    setTemperatureError(null);
    save.mutate(toBody(form, temperature));
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-label="AI defaults">
      <fieldset disabled={readOnly} className="space-y-5">
        <legend className="sr-only">AI defaults</legend>
        {save.isError && <ProblemAlert error={save.error} title="Could not save" />}
        {save.isSuccess && !save.isPending && <SuccessAlert>AI settings saved.</SuccessAlert>}
        <div className="grid gap-4 sm:grid-cols-2">
          <SelectField
            label="Default provider"
            name="default_provider"
            disabled={readOnly}
            value={form.default_provider}
            onChange={(e) => setDefaultProvider(e.target.value)}
            options={providerOptions(providers, form.default_provider)}
            error={errors.default_provider}
          />
          <SelectField
            label="Default model"
            name="default_model"
            disabled={readOnly}
            value={form.default_model}
            onChange={(e) => setForm({ ...form, default_model: e.target.value })}
            options={modelOptions(byId(form.default_provider), form.default_model)}
            error={errors.default_model}
          />
          <TextField
            label="Temperature"
            name="temperature"
            type="number"
            inputMode="decimal"
            min={0}
            max={2}
            step={0.1}
            required
            disabled={readOnly}
            value={form.temperature}
            onChange={(e) => setForm({ ...form, temperature: e.target.value })}
            hint="0 = focused and repeatable, 2 = most creative."
            error={temperatureError ?? errors.temperature}
          />
          <SelectField
            label="Fallback provider"
            name="fallback_provider"
            disabled={readOnly}
            value={form.fallback_provider}
            onChange={(e) => setForm({ ...form, fallback_provider: e.target.value })}
            options={[{ value: '', label: 'None' }, ...providerOptions(providers, form.fallback_provider)]}
            hint="Used when the default provider fails or is unreachable."
            error={errors.fallback_provider}
          />
          <TextField
            label="Monthly token budget"
            name="monthly_token_budget"
            type="number"
            inputMode="numeric"
            min={0}
            step={1000}
            placeholder="Unlimited"
            disabled={readOnly}
            value={form.monthly_token_budget}
            onChange={(e) => setForm({ ...form, monthly_token_budget: e.target.value })}
            hint="Leave empty for unlimited."
            error={errors.monthly_token_budget}
          />
        </div>

        <div>
          <Checkbox
            label="Run write tools automatically"
            name="auto_run_write_tools"
            disabled={readOnly}
            checked={form.auto_run_write_tools}
            onChange={(e) => setForm({ ...form, auto_run_write_tools: e.target.checked })}
            description={<span className="text-amber-700">Write actions (creating, changing or sending things) then run without asking you first.</span>}
          />
          {errors.auto_run_write_tools && <p className="mt-2 text-xs font-medium text-red-600">{errors.auto_run_write_tools}</p>}
        </div>

        <div className="border-t border-slate-100 pt-5">
          <fieldset className="space-y-1" disabled={readOnly}>
            <legend className="text-sm font-semibold text-slate-900">Per-module overrides</legend>
            <p className="text-sm text-slate-500">Use a different provider or model for a single module.</p>
            {rowErrors._ && <p className="text-xs font-medium text-red-600">{rowErrors._}</p>}
            <ul className="divide-y divide-slate-100">
              {AI_MODULES.map((m) => {
                const o = form.overrides[m.key] ?? { provider: '', model: '' };
                const rowError = rowErrors[m.key];
                return (
                  <li key={m.key} className="grid gap-2 py-3 sm:grid-cols-[12rem_1fr_1fr] sm:items-center">
                    <span className="text-sm font-medium text-slate-700">{m.label}</span>
                    <Select
                      aria-label={`${m.label} provider`}
                      aria-invalid={rowError ? true : undefined}
                      disabled={readOnly}
                      value={o.provider}
                      onChange={(e) => {
                        const provider = e.target.value;
                        setOverride(m.key, { provider, model: byId(provider)?.models.includes(o.model) ? o.model : '' });
                      }}
                    >
                      {[{ value: '', label: 'Use default' }, ...providerOptions(providers, o.provider)].map((opt) => (
                        <option key={opt.value} value={opt.value}>
                          {opt.label}
                        </option>
                      ))}
                    </Select>
                    <Select
                      aria-label={`${m.label} model`}
                      disabled={readOnly || !o.provider}
                      value={o.provider ? o.model : ''}
                      onChange={(e) => setOverride(m.key, { ...o, model: e.target.value })}
                    >
                      {(o.provider ? modelOptions(byId(o.provider), o.model) : [{ value: '', label: 'Default model' }]).map((opt) => (
                        <option key={opt.value} value={opt.value}>
                          {opt.label}
                        </option>
                      ))}
                    </Select>
                    {rowError && <p className="text-xs font-medium text-red-600 sm:col-span-3">{rowError}</p>}
                  </li>
                );
              })}
            </ul>
          </fieldset>
        </div>
      </fieldset>

      {!readOnly && (
        <div className="mt-5 flex justify-end gap-2 border-t border-slate-100 pt-4">
          <Button
            variant="secondary"
            onClick={() => {
              setForm(toForm(settings));
              setTemperatureError(null);
              save.reset();
            }}
            disabled={save.isPending}
          >
            Reset
          </Button>
          <Button type="submit" loading={save.isPending}>
            Save changes
          </Button>
        </div>
      )}
    </form>
  );
}
