import { useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { fieldErrors, type ApiError } from '../../api/problem';
import { ROLES, type InvitationCreated, type InvitationPage, type Member, type MemberPage, type Role } from '../../api/types';
import {
  Badge,
  Button,
  Card,
  ConfirmDialog,
  CopyField,
  Dialog,
  Pager,
  ProblemAlert,
  QueryView,
  RoleBadge,
  Select,
  SelectField,
  Table,
  TextField,
  type Column,
} from '../../components';
import { IconPlus } from '../../components/Icons';
import { formatDate, formatDateTime, roleLabel } from '../../lib/format';
import { useMe, useTenantKey } from '../auth/session';

const PAGE = 20;
const roleOptions = ROLES.map((r) => ({ value: r, label: roleLabel(r) }));

export function TeamSettings() {
  return (
    <>
      <MembersCard />
      <InvitationsCard />
    </>
  );
}

function MembersCard() {
  const key = useTenantKey();
  const me = useMe();
  const queryClient = useQueryClient();
  const [offset, setOffset] = useState(0);
  const [removing, setRemoving] = useState<Member | null>(null);

  const members = useQuery<MemberPage, ApiError>({
    queryKey: [...key, 'members', offset],
    queryFn: () => unwrap(api.GET('/api/team/members', { params: { query: { limit: PAGE, offset } } })),
    placeholderData: keepPreviousData,
  });

  const changeRole = useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) =>
      unwrap(api.PATCH('/api/team/members/{user_id}', { params: { path: { user_id: userId } }, body: { role } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: [...key, 'members'] }),
  });

  const remove = useMutation({
    mutationFn: (userId: string) => unwrap(api.DELETE('/api/team/members/{user_id}', { params: { path: { user_id: userId } } })),
    onSuccess: () => {
      setRemoving(null);
      void queryClient.invalidateQueries({ queryKey: [...key, 'members'] });
    },
  });

  const columns: Column<Member>[] = [
    {
      key: 'name',
      header: 'Member',
      cell: (m) => (
        <div>
          <p className="font-medium text-slate-900">
            {m.full_name} {m.user_id === me.data?.id && <span className="text-xs font-normal text-slate-500">(you)</span>}
          </p>
          <p className="text-xs text-slate-500">{m.email}</p>
        </div>
      ),
    },
    {
      key: 'role',
      header: 'Role',
      cell: (m) =>
        m.user_id === me.data?.id ? (
          <RoleBadge role={m.role} />
        ) : (
          <Select
            aria-label={`Role for ${m.email}`}
            className="w-32 py-1.5"
            value={m.role}
            disabled={changeRole.isPending}
            onChange={(e) => changeRole.mutate({ userId: m.user_id, role: e.target.value as Role })}
          >
            {roleOptions.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </Select>
        ),
    },
    { key: 'mfa', header: 'MFA', cell: (m) => (m.mfa_enabled ? <Badge tone="success">On</Badge> : <Badge>Off</Badge>) },
    { key: 'joined', header: 'Joined', cell: (m) => formatDate(m.joined_at), className: 'whitespace-nowrap' },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      className: 'text-right',
      cell: (m) =>
        m.user_id === me.data?.id ? null : (
          <Button variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" onClick={() => setRemoving(m)}>
            Remove
          </Button>
        ),
    },
  ];

  return (
    <Card title="Team members" description="Admins manage the company; members work in modules; viewers can only read." padded={false}>
      <div className="px-2 py-2">
        {changeRole.isError && <ProblemAlert className="m-3" error={changeRole.error} title="Could not change the role" />}
        <QueryView query={members} loadingLabel="Loading members" errorTitle="Could not load members">
          {(data) => (
            <>
              <Table caption="Team members" columns={columns} rows={data.items} rowKey={(m) => m.user_id} empty="No members yet." />
              <div className="pb-2">
                <Pager total={data.total} limit={data.limit || PAGE} offset={data.offset} onChange={setOffset} label="Members pages" />
              </div>
            </>
          )}
        </QueryView>
      </div>
      <ConfirmDialog
        open={removing !== null}
        title="Remove member?"
        description={removing ? `${removing.full_name} (${removing.email}) will lose access to this company immediately.` : ''}
        confirmLabel="Remove member"
        busy={remove.isPending}
        error={remove.isError ? <ProblemAlert className="mt-3" error={remove.error} /> : null}
        onConfirm={() => removing && remove.mutate(removing.user_id)}
        onClose={() => {
          setRemoving(null);
          remove.reset();
        }}
      />
    </Card>
  );
}

function InvitationsCard() {
  const key = useTenantKey();
  const queryClient = useQueryClient();
  const [inviteOpen, setInviteOpen] = useState(false);
  const [revoking, setRevoking] = useState<string | null>(null);

  const invitations = useQuery<InvitationPage, ApiError>({
    queryKey: [...key, 'invitations'],
    queryFn: () => unwrap(api.GET('/api/team/invitations', { params: { query: { limit: 100, offset: 0 } } })),
  });

  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/team/invitations/{invitation_id}', { params: { path: { invitation_id: id } } })),
    onSuccess: () => {
      setRevoking(null);
      void queryClient.invalidateQueries({ queryKey: [...key, 'invitations'] });
    },
  });

  type Inv = InvitationPage['items'][number];
  const columns: Column<Inv>[] = [
    { key: 'email', header: 'Email', cell: (i) => <span className="font-medium text-slate-900">{i.email}</span> },
    { key: 'role', header: 'Role', cell: (i) => <RoleBadge role={i.role} /> },
    { key: 'sent', header: 'Sent', cell: (i) => formatDate(i.created_at), className: 'whitespace-nowrap' },
    { key: 'expires', header: 'Expires', cell: (i) => formatDateTime(i.expires_at), className: 'whitespace-nowrap' },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      className: 'text-right',
      cell: (i) => (
        <Button variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" onClick={() => setRevoking(i.id)}>
          Revoke
        </Button>
      ),
    },
  ];

  return (
    <Card
      title="Invitations"
      description="Pending invitations. Each link can be used once before it expires."
      padded={false}
      actions={
        <Button icon={<IconPlus className="h-4 w-4" />} onClick={() => setInviteOpen(true)}>
          Invite teammate
        </Button>
      }
    >
      <div className="px-2 py-2">
        <QueryView query={invitations} loadingLabel="Loading invitations" errorTitle="Could not load invitations">
          {(data) => (
            <Table caption="Pending invitations" columns={columns} rows={data.items} rowKey={(i) => i.id} empty="No pending invitations." />
          )}
        </QueryView>
      </div>
      <InviteDialog
        open={inviteOpen}
        onClose={() => setInviteOpen(false)}
        onCreated={() => void queryClient.invalidateQueries({ queryKey: [...key, 'invitations'] })}
      />
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke invitation?"
        description="The invitation link will stop working."
        confirmLabel="Revoke"
        busy={revoke.isPending}
        error={revoke.isError ? <ProblemAlert className="mt-3" error={revoke.error} /> : null}
        onConfirm={() => revoking && revoke.mutate(revoking)}
        onClose={() => {
          setRevoking(null);
          revoke.reset();
        }}
      />
    </Card>
  );
}

function InviteDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: () => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [created, setCreated] = useState<InvitationCreated | null>(null);

  const invite = useMutation({
    mutationFn: () => unwrap(api.POST('/api/team/invitations', { body: { email: email.trim(), role } })),
    onSuccess: (inv) => {
      setCreated(inv);
      onCreated();
    },
  });

  const close = () => {
    setEmail('');
    setRole('member');
    setCreated(null);
    invite.reset();
    onClose();
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    invite.mutate();
  };
  const errors = fieldErrors(invite.error);

  if (created) {
    return (
      <Dialog
        open={open}
        onClose={close}
        title="Invitation created"
        description={`Send this link to ${created.email}. It expires ${formatDateTime(created.expires_at)}.`}
        footer={<Button onClick={close}>Done</Button>}
      >
        <CopyField label="Invitation link" value={created.accept_url} />
        <p className="mt-3 text-xs text-slate-500">
          Binelek doesn't email invitations yet — share the link yourself. Anyone with the link can join as {roleLabel(created.role).toLowerCase()}.
        </p>
      </Dialog>
    );
  }

  return (
    <Dialog open={open} onClose={close} title="Invite a teammate" description="They'll get a link to join this company.">
      <form className="space-y-4" onSubmit={onSubmit} noValidate>
        <ProblemAlert error={invite.error} />
        <TextField label="Email address" type="email" name="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} />
        <SelectField label="Role" name="role" value={role} onChange={(e) => setRole(e.target.value as Role)} options={roleOptions} error={errors.role} />
        <div className="flex justify-end gap-2 pt-2">
          <Button variant="secondary" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" loading={invite.isPending}>
            Create invitation
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
