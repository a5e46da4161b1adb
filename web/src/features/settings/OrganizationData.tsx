import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { fieldErrors, networkError, problemFromResponse, type ApiError } from '../../api/problem';
import type { paths } from '../../api/schema';
import { Badge, Button, Card, Dialog, ProblemAlert, TextField } from '../../components';
import { formatDate, formatDateTime } from '../../lib/format';
import { signOut, useMe, useTenantKey } from '../auth/session';

type ExportPage = paths['/api/organization/exports']['get']['responses'][200]['content']['application/json'];
export type TenantExport = ExportPage['items'][number];

const ACTIVE = new Set(['queued', 'running']);
const STATUS_TONE: Record<TenantExport['status'], 'brand' | 'success' | 'danger' | 'neutral'> = {
  queued: 'brand',
  running: 'brand',
  done: 'success',
  failed: 'danger',
  expired: 'neutral',
};

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Settings › Organization, admins only: the full export and the danger zone. */
export function OrganizationData({ organizationName }: { organizationName: string }) {
  return (
    <>
      <ExportCard />
      <DangerZone organizationName={organizationName} />
    </>
  );
}

function useExports() {
  const key = useTenantKey();
  return useQuery<ExportPage, ApiError>({
    queryKey: [...key, 'organization', 'exports'],
    queryFn: () => unwrap(api.GET('/api/organization/exports', { params: { query: { limit: 5 } } })),
    // Poll while an export is being written, to move its progress bar.
    refetchInterval: (query) => (query.state.data?.items.some((e) => ACTIVE.has(e.status)) ? 1500 : false),
  });
}

async function downloadExport(item: TenantExport): Promise<void> {
  let result: { data?: unknown; error?: unknown; response: Response };
  try {
    result = await api.GET('/api/organization/exports/{export_id}/download', {
      params: { path: { export_id: item.id } },
      parseAs: 'blob',
    });
  } catch (cause) {
    throw networkError(cause);
  }
  if (!result.response.ok) throw problemFromResponse(result.response, result.error);
  const blob = result.data instanceof Blob ? result.data : new Blob([]);
  const disposition = result.response.headers.get('Content-Disposition') ?? '';
  const named = /filename="?([^";]+)"?/i.exec(disposition);
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = named?.[1] ?? 'binelek-export.zip';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function ExportCard() {
  const queryClient = useQueryClient();
  const key = useTenantKey();
  const exports = useExports();
  const start = useMutation<TenantExport, ApiError>({
    mutationFn: () => unwrap(api.POST('/api/organization/export')),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [...key, 'organization', 'exports'] }),
  });
  const download = useMutation<void, ApiError, TenantExport>({ mutationFn: downloadExport });
  const items = exports.data?.items ?? [];
  const busy = items.some((e) => ACTIVE.has(e.status));

  return (
    <Card
      title="Export all data"
      description="A ZIP with every record your organization holds: one JSON file per table, CSV for business data, and a manifest. Secrets (keys, passwords, tokens) are never included. Downloads expire after 7 days."
      actions={
        <Button onClick={() => start.mutate()} loading={start.isPending} disabled={busy}>
          {busy ? 'Export in progress…' : 'Export all data'}
        </Button>
      }
    >
      {start.isError && <ProblemAlert error={start.error} title="Could not start the export" />}
      {download.isError && <ProblemAlert error={download.error} title="Could not download the export" />}
      {exports.isError && <ProblemAlert error={exports.error} title="Could not load exports" />}
      {items.length === 0 ? (
        <p className="text-sm text-slate-500">No exports yet.</p>
      ) : (
        <ul className="divide-y divide-slate-100" aria-label="Exports">
          {items.map((item) => (
            <li key={item.id} className="flex flex-wrap items-center gap-3 py-3 text-sm">
              <Badge tone={STATUS_TONE[item.status]}>{item.status}</Badge>
              <span className="text-slate-600">{formatDateTime(item.created_at)}</span>
              {ACTIVE.has(item.status) && (
                <progress
                  className="h-2 w-40"
                  max={100}
                  value={item.progress}
                  aria-label={`Export progress ${item.progress}%`}
                />
              )}
              {item.status === 'done' && (
                <>
                  {item.size_bytes != null && <span className="text-slate-500">{formatBytes(item.size_bytes)}</span>}
                  {item.expires_at && (
                    <span className="text-slate-500">until {formatDate(item.expires_at)}</span>
                  )}
                  <button
                    type="button"
                    onClick={() => download.mutate(item)}
                    className="font-medium text-brand-700 hover:text-brand-800 hover:underline"
                  >
                    Download
                  </button>
                </>
              )}
              {item.status === 'failed' && item.error && <span className="text-red-600">{item.error}</span>}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function DangerZone({ organizationName }: { organizationName: string }) {
  const [open, setOpen] = useState(false);
  return (
    <Card
      title="Danger zone"
      description="Deleting the organization removes all its data — records, files, search index, settings — and the accounts of people who belong to no other organization. This cannot be undone."
      actions={
        <Button variant="danger" onClick={() => setOpen(true)}>
          Delete organization
        </Button>
      }
    >
      <DeleteDialog open={open} onClose={() => setOpen(false)} organizationName={organizationName} />
    </Card>
  );
}

function DeleteDialog({ open, onClose, organizationName }: { open: boolean; onClose: () => void; organizationName: string }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const me = useMe();
  const [confirm, setConfirm] = useState('');
  const [code, setCode] = useState('');
  const needsCode = Boolean(me.data?.mfa_enabled);
  const remove = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE('/api/organization', { body: { confirm, code: needsCode ? code.trim() || null : null } })),
    onSuccess: async () => {
      await signOut(queryClient);
      navigate('/login', { replace: true });
    },
  });
  const errors = fieldErrors(remove.error);
  const matches = confirm.trim() === organizationName.trim();
  const close = () => {
    setConfirm('');
    setCode('');
    remove.reset();
    onClose();
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (matches) remove.mutate();
  };

  return (
    <Dialog open={open} onClose={close} title="Delete organization" description="This permanently deletes the organization and everything in it.">
      <form onSubmit={onSubmit} noValidate className="space-y-4">
        {remove.isError && <ProblemAlert error={remove.error} title="Could not delete the organization" />}
        <TextField
          label={`Type “${organizationName}” to confirm`}
          name="confirm"
          autoComplete="off"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          error={errors.confirm}
        />
        {needsCode && (
          <TextField
            label="Authentication code"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={errors.code}
          />
        )}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={close} disabled={remove.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" disabled={!matches || (needsCode && !code.trim())} loading={remove.isPending}>
            Delete this organization
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
