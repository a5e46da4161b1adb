import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import { fieldErrors } from '../../../api/problem';
import { Button, Dialog, ProblemAlert, SelectField, TextField } from '../../../components';
import { IconChevronDown } from '../../../components/Icons';
import { cn } from '../../../lib/cn';
import type { KeyProviderId, LlmApiKey, LlmProvider } from './types';

interface AddKeyDialogProps {
  /** Provider preselected from the row the admin clicked. */
  provider: KeyProviderId;
  providers: LlmProvider[];
  onClose: () => void;
  onSaved: (key: LlmApiKey) => void;
}

/**
 * Add a provider key (or, for Ollama, a server address). Rendered only while open, so the typed
 * key is dropped from memory as soon as the dialog closes.
 */
export function AddKeyDialog({ provider: initial, providers, onClose, onSaved }: AddKeyDialogProps) {
  const choices = providers.filter((p): p is LlmProvider & { id: KeyProviderId } => p.id !== 'local');
  const [provider, setProvider] = useState<KeyProviderId>(initial);
  const [apiKey, setApiKey] = useState('');
  const [label, setLabel] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [advanced, setAdvanced] = useState(false);

  const info = choices.find((p) => p.id === provider);
  const needsKey = info?.requires_key ?? true;
  // Ollama is addressed by URL; OpenAI accepts a base URL for OpenAI-compatible endpoints.
  const baseUrlMain = !needsKey;
  const baseUrlAdvanced = provider === 'openai';

  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/llm/api-keys', {
          body: {
            provider,
            // Ollama needs no key: only its base URL matters.
            api_key: needsKey ? apiKey.trim() : '',
            label: label.trim() || null,
            base_url: (baseUrlMain || baseUrlAdvanced) && baseUrl.trim() ? baseUrl.trim() : null,
          },
        }),
      ),
    onSuccess: onSaved,
  });

  const errors = fieldErrors(create.error);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const changeProvider = (id: KeyProviderId) => {
    setProvider(id);
    setBaseUrl('');
    setAdvanced(false);
    create.reset();
  };
  const showAdvanced = advanced || Boolean(errors.base_url);

  const baseUrlField = (fieldLabel: string, hint: string) => (
    <TextField
      label={fieldLabel}
      name="base_url"
      type="url"
      inputMode="url"
      autoComplete="off"
      spellCheck={false}
      placeholder={info?.default_base_url ?? 'https://…'}
      value={baseUrl}
      onChange={(e) => setBaseUrl(e.target.value)}
      hint={hint}
      error={errors.base_url}
    />
  );

  return (
    <Dialog
      open
      onClose={onClose}
      title={needsKey ? 'Add an API key' : `Connect ${info?.name ?? 'a model server'}`}
      description={
        needsKey
          ? 'Binelek checks the key with the provider before saving it. It is stored encrypted and never shown again.'
          : 'Point Binelek at your own model server. No API key is needed.'
      }
    >
      <form className="space-y-4" onSubmit={onSubmit} noValidate>
        <ProblemAlert error={create.error} />
        <SelectField
          label="Provider"
          name="provider"
          value={provider}
          onChange={(e) => changeProvider(e.target.value as KeyProviderId)}
          options={choices.map((p) => ({ value: p.id, label: p.name }))}
          error={errors.provider}
        />
        {needsKey && (
          <TextField
            label="API key"
            name="api_key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            required
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
            hint="Only the last 4 characters are shown after saving."
            error={errors.api_key}
          />
        )}
        {baseUrlMain &&
          baseUrlField('Base URL', info?.default_base_url ? `Leave empty for ${info.default_base_url}.` : 'The address of your model server.')}
        <TextField
          label="Label (optional)"
          name="label"
          placeholder="e.g. Production"
          maxLength={100}
          value={label}
          onChange={(e) => setLabel(e.target.value)}
          error={errors.label}
        />
        {baseUrlAdvanced && (
          <div>
            <Button
              variant="ghost"
              size="sm"
              className="-ml-2.5"
              aria-expanded={showAdvanced}
              onClick={() => setAdvanced(!showAdvanced)}
              icon={<IconChevronDown className={cn('h-4 w-4 transition-transform', showAdvanced && 'rotate-180')} />}
            >
              Advanced
            </Button>
            {showAdvanced && (
              <div className="mt-2">
                {baseUrlField(
                  'Base URL (optional)',
                  'For OpenAI-compatible endpoints (Azure OpenAI, OpenRouter, vLLM, LM Studio…). Leave empty for OpenAI itself.',
                )}
              </div>
            )}
          </div>
        )}
        <div className="flex justify-end gap-2 pt-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            {needsKey ? 'Save key' : 'Save'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
