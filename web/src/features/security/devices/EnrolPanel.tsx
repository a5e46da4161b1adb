import { useState, type FormEvent } from 'react';
import { Button, Card, ConfirmDialog, CopyButton, CopyField, Input, ProblemAlert, Table, type Column } from '../../../components';
import { formatCompactDateTime } from '../../../lib/format';
import { useCreateEnrolmentToken, useDownloadAgent, useEnrolmentTokens, useRevokeEnrolmentToken } from '../hooks';
import type { EnrolmentToken, EnrolmentTokenCreated } from '../types';

export function agentCommand(token: string): string {
  const origin = globalThis.location?.origin && globalThis.location.origin !== 'null' ? globalThis.location.origin : 'https://binelek.example.com';
  return `python3 binelek-agent.py --server ${origin} --token ${token}`;
}

/** Enrol devices: download the agent, create a token (shown once), run one command; list and revoke tokens. */
export function EnrolPanel({ admin }: { admin: boolean }) {
  const download = useDownloadAgent();
  const create = useCreateEnrolmentToken();
  const [label, setLabel] = useState('');
  const [created, setCreated] = useState<EnrolmentTokenCreated | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(label.trim() || null, {
      onSuccess: (token) => {
        setCreated(token);
        setLabel('');
      },
    });
  };
  const command = agentCommand(created?.token ?? '<token>');
  return (
    <Card title="Enrol devices" description="The agent is one Python 3 file with no dependencies. It reports the device’s OS, installed packages and security settings; nothing is installed by it.">
      <ol className="list-decimal space-y-4 pl-5 text-sm text-slate-700">
        <li>
          <p>Download the agent onto the computer or server.</p>
          <Button size="sm" variant="secondary" className="mt-2" loading={download.isPending} onClick={() => download.mutate()}>
            Download binelek-agent.py
          </Button>
          <ProblemAlert error={download.error} title="Could not download the agent" className="mt-2" />
        </li>
        <li>
          <p>Create an enrolment token (admins). It is shown once; keep it with the agent’s configuration.</p>
          <form onSubmit={submit} aria-label="Create an enrolment token" className="mt-2 flex flex-wrap gap-2">
            <Input aria-label="Token label" placeholder="Label, e.g. Office laptops" value={label} onChange={(e) => setLabel(e.target.value)} maxLength={200} className="min-w-[12rem] flex-1" />
            <Button type="submit" size="sm" loading={create.isPending}>
              Create token
            </Button>
          </form>
          <ProblemAlert error={create.error} title="Could not create a token" className="mt-2" />
          {created && (
            <div role="region" aria-label="New enrolment token" className="mt-3 space-y-2 rounded-lg border border-amber-200 bg-amber-50 p-3">
              <p className="text-sm font-medium text-amber-900">Copy the token now: it will not be shown again.</p>
              <CopyField label="Enrolment token" value={created.token} />
              <Button size="sm" variant="ghost" onClick={() => setCreated(null)}>
                Done, hide it
              </Button>
            </div>
          )}
        </li>
        <li>
          <p>Run it (add it to a daily schedule to keep the inventory current):</p>
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <code data-testid="agent-command" className="min-w-0 flex-1 break-all rounded-lg bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100">
              {command}
            </code>
            <CopyButton value={command} label="Copy command" />
          </div>
        </li>
      </ol>
      {admin && <TokenList />}
    </Card>
  );
}

function TokenList() {
  const tokens = useEnrolmentTokens(true);
  const revoke = useRevokeEnrolmentToken();
  const [revoking, setRevoking] = useState<EnrolmentToken | null>(null);
  const columns: Column<EnrolmentToken>[] = [
    { key: 'prefix', header: 'Token', cell: (t) => <code className="text-xs">{t.prefix}…</code> },
    { key: 'label', header: 'Label', cell: (t) => t.label ?? <span className="text-slate-400">—</span> },
    { key: 'created', header: 'Created', cell: (t) => formatCompactDateTime(t.created_at) },
    { key: 'used', header: 'Last used', cell: (t) => (t.last_used_at ? formatCompactDateTime(t.last_used_at) : 'Never') },
    {
      key: 'revoke',
      header: <span className="sr-only">Actions</span>,
      cell: (t) => (
        <Button size="sm" variant="ghost" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.prefix}`}>
          Revoke
        </Button>
      ),
    },
  ];
  return (
    <div className="mt-5 border-t border-slate-100 pt-4">
      <ProblemAlert error={tokens.error} title="Could not load the tokens" />
      {tokens.data && <Table caption="Enrolment tokens" captionVisible columns={columns} rows={tokens.data} rowKey={(t) => t.id} empty="No active tokens." />}
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke ${revoking?.prefix ?? 'the token'}…?`}
        description="Agents using it can no longer report. Devices already enrolled stay in the inventory."
        confirmLabel="Revoke token"
        busy={revoke.isPending}
        error={<ProblemAlert error={revoke.error} title="Could not revoke the token" className="mt-3" />}
        onConfirm={() => revoking && revoke.mutate(revoking.id, { onSuccess: () => setRevoking(null) })}
        onClose={() => {
          revoke.reset();
          setRevoking(null);
        }}
      />
    </div>
  );
}
