import { useMemo, useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import { fieldErrors, type ApiError } from '../../../api/problem';
import {
  Badge,
  Button,
  Card,
  Checkbox,
  ConfirmDialog,
  CopyField,
  Dialog,
  Pager,
  ProblemAlert,
  QueryView,
  SelectField,
  Table,
  TextField,
  type Column,
} from '../../../components';
import { formatDateTime } from '../../../lib/format';
import { useTenantKey } from '../../auth/session';
import { DELIVERY_STATUSES, type Delivery, type DeliveryPage, type DeliveryStatus, type DeliverySummary, type Endpoint, type EndpointCreated, type EventType } from './types';

const PAGE = 20;
const STATUS_TONE = { pending: 'neutral', retrying: 'warning', succeeded: 'success', failed: 'danger' } as const;

export function DeliveryStatusChip({ status }: { status: DeliveryStatus }) {
  return <Badge tone={STATUS_TONE[status]}>{status.charAt(0).toUpperCase() + status.slice(1)}</Badge>;
}

function EndpointStatus({ endpoint }: { endpoint: Endpoint }) {
  if (endpoint.enabled) {
    return endpoint.failing_since ? <Badge tone="warning">Failing</Badge> : <Badge tone="success">Enabled</Badge>;
  }
  return (
    <span className="space-y-1">
      <Badge tone="danger">Disabled</Badge>
      {endpoint.disabled_reason && <span className="block text-xs text-slate-500">{endpoint.disabled_reason}</span>}
    </span>
  );
}

export function WebhooksSettings() {
  const key = useTenantKey();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [shownSecret, setShownSecret] = useState<{ title: string; secret: string } | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Endpoint | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const endpoints = useQuery<Endpoint[], ApiError>({
    queryKey: [...key, 'webhooks'],
    queryFn: () => unwrap(api.GET('/api/webhooks')),
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: [...key, 'webhooks'] });

  const toggle = useMutation({
    mutationFn: (e: Endpoint) => unwrap(api.PATCH('/api/webhooks/{endpoint_id}', { params: { path: { endpoint_id: e.id } }, body: { enabled: !e.enabled } })),
    onSuccess: refresh,
  });
  const sendTest = useMutation({
    mutationFn: (e: Endpoint) => unwrap(api.POST('/api/webhooks/{endpoint_id}/test', { params: { path: { endpoint_id: e.id } } })),
    onSuccess: (_d, e) => {
      setNotice(`A test message is on its way to ${e.url}.`);
      setSelected(e.id);
      refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: (e: Endpoint) => unwrap(api.POST('/api/webhooks/{endpoint_id}/rotate-secret', { params: { path: { endpoint_id: e.id } } })),
    onSuccess: (r) => {
      setShownSecret({ title: 'New signing secret', secret: r.secret });
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (e: Endpoint) => unwrap(api.DELETE('/api/webhooks/{endpoint_id}', { params: { path: { endpoint_id: e.id } } })),
    onSuccess: (_d, e) => {
      setDeleting(null);
      if (selected === e.id) setSelected(null);
      refresh();
    },
  });
  const actionError = toggle.error ?? sendTest.error ?? rotate.error;

  const columns: Column<Endpoint>[] = [
    {
      key: 'url',
      header: 'Endpoint',
      cell: (e) => (
        <div className="min-w-0">
          <div className="truncate font-medium text-slate-900">{e.url}</div>
          {e.description && <div className="text-xs text-slate-500">{e.description}</div>}
          <div className="text-xs text-slate-500">Secret …{e.secret_last4}</div>
        </div>
      ),
    },
    { key: 'events', header: 'Events', cell: (e) => <span className="text-xs">{e.events.join(', ')}</span> },
    { key: 'status', header: 'Status', cell: (e) => <EndpointStatus endpoint={e} /> },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      className: 'text-right',
      cell: (e) => (
        <div className="flex flex-wrap justify-end gap-1">
          <Button variant="ghost" size="sm" onClick={() => setSelected(e.id)} aria-label={`Deliveries of ${e.url}`}>
            Deliveries
          </Button>
          <Button variant="ghost" size="sm" onClick={() => sendTest.mutate(e)} aria-label={`Send test to ${e.url}`}>
            Send test
          </Button>
          <Button variant="ghost" size="sm" onClick={() => toggle.mutate(e)} aria-label={`${e.enabled ? 'Disable' : 'Enable'} ${e.url}`}>
            {e.enabled ? 'Disable' : 'Enable'}
          </Button>
          <Button variant="ghost" size="sm" onClick={() => rotate.mutate(e)} aria-label={`Rotate secret of ${e.url}`}>
            Rotate secret
          </Button>
          <Button variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" onClick={() => setDeleting(e)} aria-label={`Delete ${e.url}`}>
            Delete
          </Button>
        </div>
      ),
    },
  ];

  const selectedEndpoint = endpoints.data?.find((e) => e.id === selected) ?? null;

  return (
    <>
      <Card
        title="Webhooks"
        description="Binelek sends a signed HTTP POST (Standard Webhooks) to your endpoints when things happen in your company. Failed messages are retried for about 24 hours."
      >
        <div className="space-y-4">
          <ProblemAlert error={actionError} />
          {notice && (
            <p role="status" className="text-sm text-emerald-700">
              {notice}
            </p>
          )}
          {shownSecret && (
            <div className="rounded-lg border border-amber-200 bg-amber-50 p-4">
              <p className="mb-3 text-sm font-semibold text-amber-900" role="status">
                Copy the signing secret now — it won't be shown again.
              </p>
              <CopyField label={shownSecret.title} value={shownSecret.secret} />
              <Button variant="ghost" size="sm" className="mt-3" onClick={() => setShownSecret(null)}>
                I've stored it safely
              </Button>
            </div>
          )}
          <Button onClick={() => setCreating(true)}>Add endpoint</Button>
        </div>
      </Card>

      <Card title="Endpoints" padded={false}>
        <div className="px-2 py-2">
          <QueryView query={endpoints} loadingLabel="Loading webhook endpoints" errorTitle="Could not load webhook endpoints">
            {(data) => <Table caption="Webhook endpoints" columns={columns} rows={data} rowKey={(e) => e.id} empty="No webhook endpoints yet." />}
          </QueryView>
        </div>
      </Card>

      {selectedEndpoint && <Deliveries endpoint={selectedEndpoint} />}

      <CreateEndpointDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(created) => {
          setCreating(false);
          setShownSecret({ title: 'Signing secret', secret: created.secret });
          refresh();
        }}
      />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete webhook endpoint?"
        description={deleting ? `${deleting.url} will receive no more messages, and its delivery log is deleted.` : ''}
        confirmLabel="Delete endpoint"
        busy={remove.isPending}
        error={remove.isError ? <ProblemAlert className="mt-3" error={remove.error} /> : null}
        onConfirm={() => deleting && remove.mutate(deleting)}
        onClose={() => {
          setDeleting(null);
          remove.reset();
        }}
      />
    </>
  );
}

function CreateEndpointDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (e: EndpointCreated) => void }) {
  const key = useTenantKey();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [all, setAll] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);
  const types = useQuery<EventType[], ApiError>({
    queryKey: [...key, 'webhooks', 'event-types'],
    queryFn: () => unwrap(api.GET('/api/webhooks/event-types')),
    enabled: open,
    staleTime: Infinity,
  });
  const byModule = useMemo(() => {
    const groups = new Map<string, EventType[]>();
    for (const t of types.data ?? []) groups.set(t.module, [...(groups.get(t.module) ?? []), t]);
    return [...groups.entries()];
  }, [types.data]);
  const create = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/webhooks', { body: { url: url.trim(), events: all ? ['*'] : picked, description: description.trim() || null } })),
    onSuccess: (created) => {
      setUrl('');
      setDescription('');
      setAll(false);
      setPicked([]);
      create.reset();
      onCreated(created);
    },
  });
  const errors = fieldErrors(create.error);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const toggleType = (type: string, on: boolean) => setPicked((p) => (on ? [...p, type] : p.filter((t) => t !== type)));

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Add webhook endpoint"
      description="Choose where to send events and which events to send."
      size="lg"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="webhook-create" loading={create.isPending} disabled={!all && picked.length === 0}>
            Add endpoint
          </Button>
        </>
      }
    >
      <form id="webhook-create" className="space-y-4" onSubmit={onSubmit} noValidate>
        <ProblemAlert error={create.error} />
        <TextField label="Endpoint URL" name="url" type="url" placeholder="https://example.com/webhooks/binelek" required value={url} onChange={(e) => setUrl(e.target.value)} error={errors.url} />
        <TextField label="Description" name="description" value={description} onChange={(e) => setDescription(e.target.value)} error={errors.description} />
        <fieldset className="space-y-3">
          <legend className="text-sm font-medium text-slate-800">Events</legend>
          {errors.events && <p className="text-sm text-red-700">{errors.events}</p>}
          <Checkbox label="All events" description="Including event types added later." checked={all} onChange={(e) => setAll(e.target.checked)} />
          {!all && (
            <QueryView query={types} loadingLabel="Loading event types" errorTitle="Could not load event types">
              {() => (
                <div className="grid max-h-72 gap-4 overflow-y-auto sm:grid-cols-2">
                  {byModule.map(([module, list]) => (
                    <div key={module} className="space-y-2">
                      <p className="text-xs font-semibold uppercase tracking-wide text-slate-500">{module}</p>
                      {list.map((t) => (
                        <Checkbox key={t.type} label={t.type} description={t.description} checked={picked.includes(t.type)} onChange={(e) => toggleType(t.type, e.target.checked)} />
                      ))}
                    </div>
                  ))}
                </div>
              )}
            </QueryView>
          )}
        </fieldset>
      </form>
    </Dialog>
  );
}

function Deliveries({ endpoint }: { endpoint: Endpoint }) {
  const key = useTenantKey();
  const queryClient = useQueryClient();
  const [offset, setOffset] = useState(0);
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const [open, setOpen] = useState<string | null>(null);
  const deliveries = useQuery<DeliveryPage, ApiError>({
    queryKey: [...key, 'webhooks', endpoint.id, 'deliveries', status, offset],
    queryFn: () =>
      unwrap(
        api.GET('/api/webhooks/{endpoint_id}/deliveries', {
          params: { path: { endpoint_id: endpoint.id }, query: { limit: PAGE, offset, status: status || undefined } },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((d) => d.status === 'pending' || d.status === 'retrying') ? 3000 : false),
  });
  const redeliver = useMutation({
    mutationFn: (d: DeliverySummary) =>
      unwrap(
        api.POST('/api/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver', {
          params: { path: { endpoint_id: endpoint.id, delivery_id: d.id } },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [...key, 'webhooks', endpoint.id, 'deliveries'] }),
  });

  const columns: Column<DeliverySummary>[] = [
    { key: 'event', header: 'Event', cell: (d) => <span className="font-medium text-slate-900">{d.event_type}</span> },
    { key: 'status', header: 'Status', cell: (d) => <DeliveryStatusChip status={d.status} /> },
    { key: 'code', header: 'Response', cell: (d) => d.response_status ?? '—' },
    { key: 'attempts', header: 'Attempts', cell: (d) => d.attempts },
    { key: 'at', header: 'Created', cell: (d) => formatDateTime(d.created_at), className: 'whitespace-nowrap' },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      className: 'text-right',
      cell: (d) => (
        <div className="flex justify-end gap-1">
          <Button variant="ghost" size="sm" onClick={() => setOpen(d.id)} aria-label={`Details of ${d.event_type} ${d.message_id}`}>
            Details
          </Button>
          <Button variant="ghost" size="sm" onClick={() => redeliver.mutate(d)} disabled={!endpoint.enabled} aria-label={`Redeliver ${d.event_type} ${d.message_id}`}>
            Redeliver
          </Button>
        </div>
      ),
    },
  ];

  return (
    <Card title={`Deliveries to ${endpoint.url}`} padded={false}>
      <div className="space-y-3 px-4 py-3">
        <ProblemAlert error={redeliver.error} />
        <SelectField
          label="Status"
          name="status"
          fieldClassName="max-w-xs"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as DeliveryStatus | '');
            setOffset(0);
          }}
          options={[{ value: '', label: 'All' }, ...DELIVERY_STATUSES.map((s) => ({ value: s, label: s.charAt(0).toUpperCase() + s.slice(1) }))]}
        />
        <QueryView query={deliveries} loadingLabel="Loading deliveries" errorTitle="Could not load deliveries">
          {(data) => (
            <>
              <Table caption="Deliveries" columns={columns} rows={data.items} rowKey={(d) => d.id} empty="No deliveries yet." />
              <Pager total={data.total} limit={data.limit || PAGE} offset={data.offset} onChange={setOffset} label="Delivery pages" />
            </>
          )}
        </QueryView>
      </div>
      <DeliveryDrawer endpointId={endpoint.id} deliveryId={open} onClose={() => setOpen(null)} />
    </Card>
  );
}

function DeliveryDrawer({ endpointId, deliveryId, onClose }: { endpointId: string; deliveryId: string | null; onClose: () => void }) {
  const key = useTenantKey();
  const delivery = useQuery<Delivery, ApiError>({
    queryKey: [...key, 'webhooks', endpointId, 'delivery', deliveryId],
    queryFn: () =>
      unwrap(
        api.GET('/api/webhooks/{endpoint_id}/deliveries/{delivery_id}', {
          params: { path: { endpoint_id: endpointId, delivery_id: deliveryId ?? '' } },
        }),
      ),
    enabled: deliveryId !== null,
  });
  return (
    <Dialog open={deliveryId !== null} onClose={onClose} title="Delivery details" size="lg">
      <QueryView query={delivery} loadingLabel="Loading delivery" errorTitle="Could not load the delivery">
        {(d) => (
          <div className="space-y-4 text-sm">
            <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4">
              <div>
                <dt className="text-xs text-slate-500">Status</dt>
                <dd>
                  <DeliveryStatusChip status={d.status} />
                </dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">Response code</dt>
                <dd>{d.response_status ?? '—'}</dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">Duration</dt>
                <dd>{d.duration_ms != null ? `${d.duration_ms} ms` : '—'}</dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">Attempts</dt>
                <dd>{d.attempts}</dd>
              </div>
            </dl>
            <p className="text-xs text-slate-500">Message id {d.message_id}</p>
            {d.error && <p className="text-red-700">{d.error}</p>}
            <section>
              <h3 className="mb-1 font-medium text-slate-800">Request body</h3>
              <pre className="max-h-48 overflow-auto rounded bg-slate-50 p-2 text-xs">{d.request_body}</pre>
            </section>
            <section>
              <h3 className="mb-1 font-medium text-slate-800">Response body (first 2 KB)</h3>
              <pre className="max-h-48 overflow-auto rounded bg-slate-50 p-2 text-xs">{d.response_body || '—'}</pre>
            </section>
            <section>
              <h3 className="mb-1 font-medium text-slate-800">Attempts</h3>
              <ol className="space-y-1 text-xs">
                {d.attempt_log.map((a) => (
                  <li key={a.attempt}>
                    #{a.attempt} · {formatDateTime(a.at)} · {a.response_status ?? 'no answer'}
                    {a.duration_ms != null ? ` · ${a.duration_ms} ms` : ''}
                    {a.error ? ` · ${a.error}` : ''}
                  </li>
                ))}
              </ol>
            </section>
          </div>
        )}
      </QueryView>
    </Dialog>
  );
}
