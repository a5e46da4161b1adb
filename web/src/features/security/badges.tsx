import { Badge } from '../../components';
import { ISSUE_STATUS_LABELS, SCAN_STATUS_LABELS, SEVERITY_LABELS, CONTROL_STATUS_LABELS, CONTROL_STATUS_TONES, gradeTone, issueStatusTone, label, scanStatusTone, severityTone } from './labels';

export function SeverityBadge({ severity }: { severity: string }) {
  return <Badge tone={severityTone(severity)}>{label(SEVERITY_LABELS, severity)}</Badge>;
}

export function IssueStatusBadge({ status }: { status: string }) {
  return <Badge tone={issueStatusTone(status)}>{label(ISSUE_STATUS_LABELS, status)}</Badge>;
}

export function ScanStatusBadge({ status }: { status: string }) {
  return <Badge tone={scanStatusTone(status)}>{label(SCAN_STATUS_LABELS, status)}</Badge>;
}

export function ControlStatusBadge({ status }: { status: string }) {
  return <Badge tone={CONTROL_STATUS_TONES[status] ?? 'neutral'}>{label(CONTROL_STATUS_LABELS, status)}</Badge>;
}

/** A check's letter grade, e.g. "Web B+"; `what` names the check for screen readers and sighted users. */
export function GradeBadge({ grade, what }: { grade: string | null | undefined; what?: string }) {
  if (!grade) return <span className="text-slate-400">—</span>;
  return (
    <Badge tone={gradeTone(grade)} className="font-semibold">
      {what ? `${what} ${grade}` : grade}
    </Badge>
  );
}

/** A yes / no / unknown fact (device disk encryption, firewall…): never shows "no" for "we do not know". */
export function FactIcon({ value, name }: { value: boolean | null | undefined; name: string }) {
  const state = value === true ? 'on' : value === false ? 'off' : 'unknown';
  const text = state === 'on' ? `${name}: on` : state === 'off' ? `${name}: off` : `${name}: unknown`;
  const look = {
    on: 'bg-emerald-50 text-emerald-700 ring-emerald-200',
    off: 'bg-red-50 text-red-700 ring-red-200',
    unknown: 'bg-slate-50 text-slate-500 ring-slate-200',
  }[state];
  const glyph = state === 'on' ? '✓' : state === 'off' ? '✕' : '?';
  return (
    <span role="img" aria-label={text} title={text} className={`inline-flex h-6 w-6 items-center justify-center rounded-full text-xs font-bold ring-1 ring-inset ${look}`}>
      {glyph}
    </span>
  );
}
