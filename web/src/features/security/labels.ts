/** Words and colours for the scanner's codes: severities, statuses, grades, categories. */
import type { IssueStatus, Severity } from './types';

export type Tone = 'neutral' | 'brand' | 'success' | 'warning' | 'danger';

export const SEVERITY_LABELS: Record<Severity | 'info', string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Info',
};

export const SEVERITY_RANK: Record<string, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** Fill colours for severity charts and dots (critical darkest). */
export const SEVERITY_COLORS: Record<Severity, string> = {
  critical: '#991b1b',
  high: '#dc2626',
  medium: '#f59e0b',
  low: '#64748b',
};

export const ISSUE_STATUS_LABELS: Record<IssueStatus, string> = {
  open: 'Open',
  in_progress: 'In progress',
  resolved: 'Resolved',
  accepted: 'Risk accepted',
};

export const CATEGORY_LABELS: Record<string, string> = {
  web: 'Web headers',
  tls: 'TLS',
  dns: 'DNS & e-mail',
  network: 'Network',
  platform: 'Platform',
  device: 'Devices',
  devices: 'Devices',
  vulnerability: 'Vulnerabilities',
  discovery: 'Discovery',
};

export const ASSET_KIND_LABELS: Record<string, string> = {
  domain: 'Domain',
  url: 'Website URL',
  ip: 'IP address',
  cidr: 'Address range',
};

export const SCAN_STATUS_LABELS: Record<string, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const TRIGGER_LABELS: Record<string, string> = {
  manual: 'Manual',
  schedule: 'Scheduled',
  scheduled: 'Scheduled',
  assistant: 'Assistant',
  api: 'API',
};

/** Short names of the frameworks a finding's controls are written with ("soc2:CC6.1"). */
export const FRAMEWORK_NAMES: Record<string, string> = { soc2: 'SOC 2', gdpr: 'GDPR', hipaa: 'HIPAA', pci: 'PCI DSS' };

export const CONTROL_STATUS_LABELS: Record<string, string> = {
  passing: 'Passing',
  failing: 'Failing',
  manual_met: 'Met (attested)',
  manual_not_met: 'Not met (attested)',
  not_applicable: 'Not applicable',
  needs_evidence: 'Needs evidence',
  review_overdue: 'Review overdue',
};

export const CONTROL_STATUS_TONES: Record<string, Tone> = {
  passing: 'success',
  manual_met: 'success',
  failing: 'danger',
  manual_not_met: 'danger',
  review_overdue: 'warning',
  needs_evidence: 'warning',
  not_applicable: 'neutral',
};

export const MANUAL_STATUS_LABELS: Record<string, string> = {
  met: 'Met',
  not_met: 'Not met',
  not_applicable: 'Not applicable',
};

export function label(labels: Record<string, string>, code: string): string {
  return labels[code] ?? code.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

export function severityTone(severity: string): Tone {
  if (severity === 'critical' || severity === 'high') return 'danger';
  if (severity === 'medium') return 'warning';
  return 'neutral';
}

export function issueStatusTone(status: string): Tone {
  if (status === 'resolved') return 'success';
  if (status === 'accepted') return 'neutral';
  if (status === 'in_progress') return 'brand';
  return 'warning';
}

export function scanStatusTone(status: string): Tone {
  if (status === 'succeeded') return 'success';
  if (status === 'failed' || status === 'cancelled') return 'danger';
  return 'brand';
}

/** A letter grade's tone: A's are good, B fine, C and D need work, E, F and T (untrusted) are bad. */
export function gradeTone(grade: string | null | undefined): Tone {
  const letter = (grade ?? '').charAt(0).toUpperCase();
  if (letter === 'A') return 'success';
  if (letter === 'B') return 'brand';
  if (letter === 'C' || letter === 'D') return 'warning';
  if (letter === '') return 'neutral';
  return 'danger';
}

/** The posture gauge's colour per grade. */
export function gradeColor(grade: string | null | undefined): string {
  const letter = (grade ?? '').charAt(0).toUpperCase();
  if (letter === 'A') return '#16a34a';
  if (letter === 'B') return '#65a30d';
  if (letter === 'C') return '#f59e0b';
  if (letter === 'D') return '#ea580c';
  return '#dc2626';
}

const points = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export function formatPoints(value: number): string {
  return points.format(value);
}

/** "+3.5" / "−2" / "0" for a change in points. */
export function formatChange(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value === 0) return '±0';
  return `${value > 0 ? '+' : '−'}${points.format(Math.abs(value))}`;
}

const bytes = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${bytes.format(size / 1024)} KB`;
  return `${bytes.format(size / (1024 * 1024))} MB`;
}
