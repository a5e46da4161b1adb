import { useId, useState, type FormEvent } from 'react';
import { ApiError, fieldErrors } from '../../api/problem';
import { Button, Dialog, ProblemAlert, SelectField, TextField } from '../../components';
import type { AccountDetails, CatalogueEntry, ConnectionCreated } from './connectionsApi';
import { useConnectWithKey } from './connectionsHooks';
import { ACCOUNT_DEFAULTS, accountFieldText, keyFieldText, ZOHO_REGIONS } from './labels';

interface AccountDialogProps {
  entry: CatalogueEntry;
  open: boolean;
  onClose: () => void;
  /** Called inside the submit event, so a popup may still be opened from it. */
  onSubmit: (account: AccountDetails) => void;
  busy: boolean;
  error: unknown;
}

/** Asks what the sign-in needs to know about the account (shop, Zoho region, Entra tenant) before the popup. */
export function AccountDialog({ entry, open, onClose, onSubmit, busy, error }: AccountDialogProps) {
  const formId = useId();
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Connect ${entry.name}`}
      description={`You sign in to ${entry.name} in a popup window and choose what Binelek may read.`}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form={formId} loading={busy}>
            Continue to {entry.name}
          </Button>
        </>
      }
    >
      <AccountForm id={formId} entry={entry} onSubmit={onSubmit} error={error} />
    </Dialog>
  );
}

function AccountForm({ id, entry, onSubmit, error }: { id: string; entry: CatalogueEntry; onSubmit: (account: AccountDetails) => void; error: unknown }) {
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(entry.account_fields.map((field) => [field, ACCOUNT_DEFAULTS[field] ?? ''])),
  );
  const invalid = fieldErrors(error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(values);
  };
  return (
    <form id={id} aria-label={`${entry.name} account`} onSubmit={submit} className="space-y-4">
      {entry.account_fields.map((field) => {
        const text = accountFieldText(field);
        const change = (value: string) => setValues((previous) => ({ ...previous, [field]: value }));
        return field === 'accounts_domain' ? (
          <SelectField
            key={field}
            label={text.label}
            hint={text.hint}
            error={invalid[field]}
            options={ZOHO_REGIONS}
            value={values[field]}
            onChange={(e) => change(e.target.value)}
          />
        ) : (
          <TextField
            key={field}
            label={text.label}
            hint={text.hint}
            error={invalid[field]}
            required={field === 'shop'}
            autoComplete="off"
            spellCheck={false}
            value={values[field]}
            onChange={(e) => change(e.target.value)}
          />
        );
      })}
      <ProblemAlert error={Object.keys(invalid).length === 0 ? error : null} />
      <KeyAlternative entry={entry} error={error} />
    </form>
  );
}

/** When the install has no OAuth app for a source that also takes a key (Shopify), says so. */
export function KeyAlternative({ entry, error }: { entry: CatalogueEntry; error: unknown }) {
  if (!(error instanceof ApiError) || error.code !== 'CONNECTOR_NOT_CONFIGURED' || entry.key_fields.length === 0) return null;
  return <p className="w-full text-xs text-slate-600">You can connect {entry.name} with an access token instead.</p>;
}

interface KeyDialogProps {
  entry: CatalogueEntry;
  open: boolean;
  onClose: () => void;
  onConnected: (created: ConnectionCreated) => void;
}

/** Connect with a key: the credentials the catalogue names, in password inputs, sent once and never shown. */
export function KeyDialog({ entry, open, onClose, onConnected }: KeyDialogProps) {
  return (
    <Dialog open={open} onClose={onClose} title={`Connect ${entry.name} with a key`} description="The key is checked with the provider, then stored encrypted.">
      <KeyForm entry={entry} onCancel={onClose} onConnected={onConnected} />
    </Dialog>
  );
}

function KeyForm({ entry, onCancel, onConnected }: { entry: CatalogueEntry; onCancel: () => void; onConnected: (created: ConnectionCreated) => void }) {
  const connect = useConnectWithKey();
  const [credentials, setCredentials] = useState<Record<string, string>>(() => Object.fromEntries(entry.key_fields.map((field) => [field, ''])));
  const [webhookSecret, setWebhookSecret] = useState('');
  const [name, setName] = useState('');
  const invalid = fieldErrors(connect.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    connect.mutate(
      { type: entry.type, name: name.trim() || null, credentials, webhookSecret: webhookSecret.trim() || null },
      { onSuccess: onConnected },
    );
  };
  return (
    <form aria-label={`${entry.name} key`} onSubmit={submit} className="space-y-4" autoComplete="off">
      {entry.key_fields.map((field) => {
        const text = keyFieldText(field);
        return (
          <TextField
            key={field}
            label={text.label}
            hint={text.hint}
            error={invalid[field]}
            type={text.secret ? 'password' : 'text'}
            // new-password keeps the browser from offering to save or fill a provider key.
            autoComplete={text.secret ? 'new-password' : 'off'}
            spellCheck={false}
            required
            value={credentials[field]}
            onChange={(e) => setCredentials((previous) => ({ ...previous, [field]: e.target.value }))}
          />
        );
      })}
      <TextField
        label="Webhook signing secret (optional)"
        hint="The signing secret of the webhook endpoint you made at the provider, so changes arrive right away. Without it, changes come with the scheduled syncs."
        error={invalid.webhook_secret}
        type="password"
        autoComplete="new-password"
        spellCheck={false}
        value={webhookSecret}
        onChange={(e) => setWebhookSecret(e.target.value)}
      />
      <TextField label="Name (optional)" hint={`Defaults to ${entry.name}.`} error={invalid.name} value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
      <ProblemAlert error={connect.error} />
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" loading={connect.isPending}>
          Connect
        </Button>
      </div>
    </form>
  );
}
