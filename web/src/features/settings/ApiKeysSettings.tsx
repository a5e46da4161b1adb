import { useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { fieldErrors, type ApiError } from '../../api/problem';
import { ROLES, type ApiKey, type ApiKeyCreated, type ApiKeyPage, type Role } from '../../api/types';
import {
  Button,
  Card,
  ConfirmDialog,
  CopyField,
  Pager,
  ProblemAlert,
  QueryView,
  RoleBadge,
  SelectField,
  Table,
  TextField,
  type Column,
} from '../../components';
import { formatDate, formatDateTime, roleLabel } from '../../lib/format';
import { useTenantKey } from '../auth/session';

const PAGE = 20;

export function ApiKeysSettings() {
  const key = useTenantKey();
  const queryClient = useQueryClient();
  const [offset, setOffset] = useState(0);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  const keys = useQuery<ApiKeyPage, ApiError>({
    queryKey: [...key, 'api-keys', offset],
    queryFn: () => unwrap(api.GET('/api/api-keys', { params: { query: { limit: PAGE, offset } } })),
    placeholderData: keepPreviousData,
  });

  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/api-keys', { body: { name: name.trim(), role } })),
    onSuccess: (k) => {
      setCreated(k);
      setName('');
      void queryClient.invalidateQueries({ queryKey: [...key, 'api-keys'] });
    },
  });

  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/api-keys/{key_id}', { params: { path: { key_id: id } } })),
    onSuccess: () => {
      setRevoking(null);
      void queryClient.invalidateQueries({ queryKey: [...key, 'api-keys'] });
    },
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate();
  };
  const errors = fieldErrors(create.error);

  const columns: Column<ApiKey>[] = [
    { key: 'name', header: 'Name', cell: (k) => <span className="font-medium text-slate-900">{k.name}</span> },
    { key: 'prefix', header: 'Key', cell: (k) => <code className="rounded bg-slate-100 px-1.5 py-0.5 text-xs">{k.prefix}…</code> },
    { key: 'role', header: 'Role', cell: (k) => <RoleBadge role={k.role} /> },
    { key: 'created', header: 'Created', cell: (k) => formatDate(k.created_at), className: 'whitespace-nowrap' },
    { key: 'used', header: 'Last used', cell: (k) => (k.last_used_at ? formatDateTime(k.last_used_at) : 'Never'), className: 'whitespace-nowrap' },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      className: 'text-right',
      cell: (k) => (
        <Button variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" onClick={() => setRevoking(k)}>
          Revoke
        </Button>
      ),
    },
  ];

  return (
    <>
      <Card title="Create an API key" description="API keys let scripts and integrations call the Binelek API on behalf of this company.">
        <form className="space-y-4" onSubmit={onSubmit} noValidate>
          <ProblemAlert error={create.error} />
          <div className="grid gap-4 sm:grid-cols-[1fr_12rem_auto] sm:items-start">
            <TextField label="Key name" name="name" placeholder="e.g. Nightly export" required value={name} onChange={(e) => setName(e.target.value)} error={errors.name} />
            <SelectField label="Key role" name="role" value={role} onChange={(e) => setRole(e.target.value as Role)} options={ROLES.map((r) => ({ value: r, label: roleLabel(r) }))} error={errors.role} />
            <Button type="submit" className="sm:mt-7" loading={create.isPending}>
              Create key
            </Button>
          </div>
        </form>
        {created && (
          <div className="mt-5 rounded-lg border border-amber-200 bg-amber-50 p-4">
            <p className="mb-3 text-sm font-semibold text-amber-900" role="status">
              Copy your new key “{created.name}” now — it won't be shown again.
            </p>
            <CopyField label="New API key" value={created.key} />
            <Button variant="ghost" size="sm" className="mt-3" onClick={() => setCreated(null)}>
              I've stored it safely
            </Button>
          </div>
        )}
      </Card>

      <Card title="API keys" padded={false}>
        <div className="px-2 py-2">
          <QueryView query={keys} loadingLabel="Loading API keys" errorTitle="Could not load API keys">
            {(data) => (
              <>
                <Table caption="API keys" columns={columns} rows={data.items} rowKey={(k) => k.id} empty="No API keys yet." />
                <div className="pb-2">
                  <Pager total={data.total} limit={data.limit || PAGE} offset={data.offset} onChange={setOffset} label="API key pages" />
                </div>
              </>
            )}
          </QueryView>
        </div>
      </Card>

      <ConfirmDialog
        open={revoking !== null}
        title="Revoke API key?"
        description={revoking ? `Anything using “${revoking.name}” will stop working immediately.` : ''}
        confirmLabel="Revoke key"
        busy={revoke.isPending}
        error={revoke.isError ? <ProblemAlert className="mt-3" error={revoke.error} /> : null}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
        onClose={() => {
          setRevoking(null);
          revoke.reset();
        }}
      />
    </>
  );
}
