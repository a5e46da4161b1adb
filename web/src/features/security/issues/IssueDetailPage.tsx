/**
 * /security/issues/:issueId: what was found (evidence), what to do (remediation), which controls it
 * concerns and when it was seen; writers change its status (accepting a risk asks for a reason),
 * assignee and due date.
 */
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { Badge, Button, Card, Dialog, Field, PageSpinner, ProblemAlert, Select, SuccessAlert, TextArea, TextField } from '../../../components';
import { fieldErrors } from '../../../api/problem';
import { formatDateTime } from '../../../lib/format';
import { canWrite, useRole } from '../../auth/session';
import { IssueStatusBadge, SeverityBadge } from '../badges';
import { useIssue, useTeamMembers, useUpdateIssue } from '../hooks';
import { CATEGORY_LABELS, FRAMEWORK_NAMES, label } from '../labels';
import { EvidenceView, Facts } from '../shared';
import type { Issue, IssuePatch, IssueStatus } from '../types';

export function IssueDetailPage() {
  const { issueId } = useParams();
  const issue = useIssue(issueId);
  if (issue.isPending) return <PageSpinner label="Loading the issue" />;
  if (issue.isError || !issue.data) return <ProblemAlert error={issue.error} title="Could not load the issue" />;
  return <IssueView issue={issue.data} />;
}

function IssueView({ issue }: { issue: Issue }) {
  const writer = canWrite(useRole());
  return (
    <div className="space-y-5">
      <div>
        <Link to="/security/issues" className="text-sm text-slate-500 hover:text-brand-700">
          ← Issues
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight text-slate-900">{issue.title}</h1>
        <div className="mt-2 flex flex-wrap items-center gap-2 text-sm text-slate-500">
          <SeverityBadge severity={issue.severity} />
          <span data-testid="issue-status">
            <IssueStatusBadge status={issue.status} />
          </span>
          <Badge>{label(CATEGORY_LABELS, issue.category)}</Badge>
          <span className="break-all">{issue.target}</span>
        </div>
      </div>
      <div className="grid gap-5 lg:grid-cols-3">
        <div className="space-y-5 lg:col-span-2">
          <Card title="What to do">
            <p className="whitespace-pre-line text-sm text-slate-700">{issue.remediation || 'No remediation recorded for this check.'}</p>
          </Card>
          <Card title="Evidence" description={`What check ${issue.check_id} observed.`}>
            <EvidenceView evidence={issue.evidence} />
          </Card>
          {issue.status === 'accepted' && issue.accepted_reason && (
            <Card title="Why the risk is accepted">
              <p className="whitespace-pre-line text-sm text-slate-700">{issue.accepted_reason}</p>
            </Card>
          )}
        </div>
        <div className="space-y-5">
          {writer && <StatusActions issue={issue} />}
          {writer && <AssignmentForm key={issue.id} issue={issue} />}
          <Card title="Details">
            <Facts
              label="Issue details"
              columns={1}
              items={[
                ['Detected', formatDateTime(issue.detected_at)],
                ['Last seen', formatDateTime(issue.last_seen_at)],
                ['Resolved', formatDateTime(issue.resolved_at)],
                ['Updated', formatDateTime(issue.updated_at)],
                ['Reopened', `${issue.reopened_count} time${issue.reopened_count === 1 ? '' : 's'}`],
                ['Check', <code key="c" className="text-xs">{issue.check_id}</code>],
              ]}
            />
            {issue.device_id && (
              <Link to={`/security/devices/${issue.device_id}`} className="mt-3 inline-block text-sm font-medium text-brand-700 hover:text-brand-800">
                Open the device
              </Link>
            )}
          </Card>
          <Card title="Compliance controls">
            {issue.controls.length === 0 ? (
              <p className="text-sm text-slate-500">Not mapped to a control.</p>
            ) : (
              <ul aria-label="Compliance controls" className="flex flex-wrap gap-1.5">
                {issue.controls.map((control) => {
                  const [framework = '', id] = control.split(':', 2);
                  const name = FRAMEWORK_NAMES[framework] ?? framework.toUpperCase();
                  return (
                    <li key={control}>
                      <Link to={`/security/compliance/${framework}`} title={`Open ${name}`}>
                        <Badge tone="brand">{id ? `${name} ${id}` : control}</Badge>
                      </Link>
                    </li>
                  );
                })}
              </ul>
            )}
          </Card>
        </div>
      </div>
    </div>
  );
}

const STATUS_ACTIONS: { status: IssueStatus; label: string; when: (current: string) => boolean }[] = [
  { status: 'in_progress', label: 'Start working on it', when: (s) => s === 'open' },
  { status: 'resolved', label: 'Mark resolved', when: (s) => s === 'open' || s === 'in_progress' },
  { status: 'accepted', label: 'Accept the risk…', when: (s) => s !== 'accepted' },
  { status: 'open', label: 'Reopen', when: (s) => s === 'resolved' || s === 'accepted' },
];

function StatusActions({ issue }: { issue: Issue }) {
  const update = useUpdateIssue();
  const [accepting, setAccepting] = useState(false);
  const change = (status: IssueStatus) => {
    if (status === 'accepted') {
      update.reset();
      setAccepting(true);
      return;
    }
    update.mutate({ id: issue.id, patch: { status } });
  };
  return (
    <Card title="Status">
      <div className="flex flex-wrap gap-2">
        {STATUS_ACTIONS.filter((action) => action.when(issue.status)).map((action) => (
          <Button
            key={action.status}
            size="sm"
            variant={action.status === 'resolved' ? 'primary' : 'secondary'}
            loading={update.isPending && update.variables?.patch.status === action.status}
            onClick={() => change(action.status)}
          >
            {action.label}
          </Button>
        ))}
      </div>
      {!accepting && <ProblemAlert error={update.error} title="Could not change the status" className="mt-3" />}
      <p className="mt-3 text-xs text-slate-500">A scan that finds the problem fixed resolves the issue by itself; one that finds it again reopens it.</p>
      <AcceptRiskDialog issue={issue} open={accepting} onClose={() => setAccepting(false)} />
    </Card>
  );
}

/** Accepting a risk takes it out of the score, so the reason is required (and kept for the audit). */
function AcceptRiskDialog({ issue, open, onClose }: { issue: Issue; open: boolean; onClose: () => void }) {
  const update = useUpdateIssue();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const close = () => {
    update.reset();
    setMissing(false);
    onClose();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    update.mutate({ id: issue.id, patch: { status: 'accepted', accepted_reason: reason.trim() } }, { onSuccess: close });
  };
  const serverError = fieldErrors(update.error).accepted_reason;
  return (
    <Dialog
      open={open}
      onClose={close}
      title="Accept this risk"
      description="The issue stops counting against the score. Say why — the reason is kept with the issue and in the audit log."
      footer={
        <>
          <Button variant="secondary" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" form="accept-risk" loading={update.isPending}>
            Accept risk
          </Button>
        </>
      }
    >
      <form id="accept-risk" onSubmit={submit} noValidate aria-label="Accept the risk" className="space-y-3">
        <Field label="Reason" error={missing ? 'Say why the risk is acceptable.' : (serverError ?? null)} hint="For example: compensating control in place, or the host is retired next month.">
          {(control) => (
            <TextArea
              {...control}
              rows={4}
              maxLength={2000}
              required
              value={reason}
              onChange={(e) => {
                setReason(e.target.value);
                if (e.target.value.trim()) setMissing(false);
              }}
            />
          )}
        </Field>
        {!serverError && <ProblemAlert error={update.error} title="Could not accept the risk" />}
      </form>
    </Dialog>
  );
}

function localDate(value: string | null): string {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Assignee and due date; only what changed is sent (null clears). */
function AssignmentForm({ issue }: { issue: Issue }) {
  const members = useTeamMembers();
  const update = useUpdateIssue();
  const [assignee, setAssignee] = useState(issue.assignee_id ?? '');
  const [due, setDue] = useState(localDate(issue.due_at));
  const [saved, setSaved] = useState(false);
  const patch: IssuePatch = {};
  if (assignee !== (issue.assignee_id ?? '')) patch.assignee_id = assignee || null;
  // Due at the end of the chosen day, in the user's time zone.
  if (due !== localDate(issue.due_at)) patch.due_at = due ? new Date(`${due}T23:59:00`).toISOString() : null;
  const dirty = Object.keys(patch).length > 0;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    update.mutate({ id: issue.id, patch }, { onSuccess: () => setSaved(true) });
  };
  return (
    <Card title="Owner and due date">
      <form onSubmit={submit} aria-label="Owner and due date" className="space-y-3">
        <Field label="Assignee" error={fieldErrors(update.error).assignee_id ?? null}>
          {(control) => (
            <Select {...control} value={assignee} onChange={(e) => setAssignee(e.target.value)}>
              <option value="">Unassigned</option>
              {issue.assignee_id && !members.data?.some((m) => m.user_id === issue.assignee_id) && <option value={issue.assignee_id}>Former member</option>}
              {(members.data ?? []).map((member) => (
                <option key={member.user_id} value={member.user_id}>
                  {member.full_name || member.email}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <TextField label="Due date" type="date" value={due} onChange={(e) => setDue(e.target.value)} />
        <ProblemAlert error={members.error} title="Could not load the team" />
        <ProblemAlert error={update.error} title="Could not save" />
        {saved && !dirty && <SuccessAlert>Saved.</SuccessAlert>}
        <Button type="submit" disabled={!dirty} loading={update.isPending}>
          Save
        </Button>
      </form>
    </Card>
  );
}
