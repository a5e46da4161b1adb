import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { Badge, Button, Card, ConfirmDialog, Dialog, EmptyState, Field, Input, ProblemAlert, QueryView, Select, Table, type Column } from '../../components';
import { IconChart, IconPlus } from '../../components/Icons';
import { fieldErrors } from '../../api/problem';
import { formatCompactDateTime, formatDateTime } from '../../lib/format';
import { canWrite, useRole } from '../auth/session';
import { useCreateDashboard, useDashboards, useDeleteDashboard, useTemplates } from './hooks';
import type { DashboardSummaryOut } from './types';

const BLANK = '';

/** /foundry/dashboards: every dashboard of the company; members create (blank or from a template) and delete. */
export function DashboardsPage() {
  const writer = canWrite(useRole());
  const dashboards = useDashboards();
  const [creating, setCreating] = useState(false);
  const [removing, setRemoving] = useState<DashboardSummaryOut | null>(null);
  const remove = useDeleteDashboard(() => setRemoving(null));

  const columns: Column<DashboardSummaryOut>[] = [
    {
      key: 'name',
      header: 'Dashboard',
      cell: (d) => (
        <div>
          <Link to={`/foundry/dashboards/${d.id}`} className="font-medium text-slate-900 hover:text-brand-700">
            {d.name}
          </Link>
          {d.is_default && (
            <Badge tone="brand" className="ml-2">
              Default
            </Badge>
          )}
          {d.description && <p className="mt-0.5 text-xs text-slate-500">{d.description}</p>}
        </div>
      ),
    },
    { key: 'widgets', header: 'Widgets', className: 'text-right tabular-nums', cell: (d) => d.widget_count },
    {
      key: 'updated',
      header: 'Updated',
      className: 'whitespace-nowrap',
      cell: (d) => (
        <time dateTime={d.updated_at} title={formatDateTime(d.updated_at)}>
          {formatCompactDateTime(d.updated_at)}
        </time>
      ),
    },
  ];
  if (writer) {
    columns.push({
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      className: 'text-right whitespace-nowrap',
      cell: (d) => (
        <div className="flex justify-end gap-2">
          <Link to={`/foundry/dashboards/${d.id}/edit`} aria-label={`Edit ${d.name}`} className="rounded-lg px-2.5 py-1.5 text-xs font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50">
            Edit
          </Link>
          <Button variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" aria-label={`Delete ${d.name}`} onClick={() => setRemoving(d)}>
            Delete
          </Button>
        </div>
      ),
    });
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Dashboards</h1>
        {writer && (
          <Button icon={<IconPlus className="h-4 w-4" />} onClick={() => setCreating(true)}>
            New dashboard
          </Button>
        )}
      </div>
      <Card padded={false}>
        <div className="px-2 py-2">
          <QueryView query={dashboards} loadingLabel="Loading dashboards" errorTitle="Could not load dashboards">
            {(items) =>
              items.length === 0 ? (
                <EmptyState
                  className="m-3"
                  icon={<IconChart className="h-6 w-6" />}
                  title="No dashboards yet"
                  description={writer ? 'Start from a template (Sales Overview, Customer Analytics…) or a blank page.' : 'Members and admins of your company can create dashboards.'}
                  action={
                    writer && (
                      <Button icon={<IconPlus className="h-4 w-4" />} onClick={() => setCreating(true)}>
                        New dashboard
                      </Button>
                    )
                  }
                />
              ) : (
                <Table caption="Dashboards" columns={columns} rows={items} rowKey={(d) => d.id} />
              )
            }
          </QueryView>
        </div>
      </Card>
      {creating && <CreateDashboardDialog onClose={() => setCreating(false)} />}
      <ConfirmDialog
        open={removing !== null}
        title={`Delete ${removing?.name ?? 'this dashboard'}?`}
        description="Its widgets go with it. The data they showed stays."
        confirmLabel="Delete dashboard"
        busy={remove.isPending}
        onConfirm={() => removing && remove.mutate(removing.id)}
        onClose={() => {
          setRemoving(null);
          remove.reset();
        }}
        error={remove.error && <ProblemAlert className="mt-3" error={remove.error} />}
      />
    </div>
  );
}

function CreateDashboardDialog({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const templates = useTemplates();
  const [name, setName] = useState('');
  const [template, setTemplate] = useState(BLANK);
  const create = useCreateDashboard((dashboard) =>
    navigate(dashboard.widgets.length > 0 ? `/foundry/dashboards/${dashboard.id}` : `/foundry/dashboards/${dashboard.id}/edit`),
  );
  const errors = fieldErrors(create.error);
  const chosen = templates.data?.find((t) => t.name === template);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name: name.trim() || chosen?.title || 'New dashboard', template: template || null, compare: 'previous_period', is_default: false });
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title="New dashboard"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="new-dashboard-form" loading={create.isPending}>
            Create dashboard
          </Button>
        </>
      }
    >
      <form id="new-dashboard-form" className="space-y-4" onSubmit={submit}>
        <Field label="Start from" hint={chosen ? `${chosen.description} (${chosen.widget_count} widgets)` : 'An empty page to add widgets to.'}>
          {(control) => (
            <Select {...control} value={template} onChange={(e) => setTemplate(e.target.value)}>
              <option value={BLANK}>Blank dashboard</option>
              {templates.data?.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.title}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Name" error={errors.name}>
          {(control) => <Input {...control} value={name} maxLength={200} placeholder={chosen?.title ?? 'e.g. Weekly numbers'} onChange={(e) => setName(e.target.value)} />}
        </Field>
        {create.error && !errors.name && <ProblemAlert error={create.error} title="Could not create the dashboard" />}
      </form>
    </Dialog>
  );
}
