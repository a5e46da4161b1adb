/** Fixtures and msw helpers shared by the Cybersecurity Scanner tests (test-only). */
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import type { Role } from '../../api/types';
import { me, organization } from '../../test/fixtures';
import { server, tokens } from '../../test/server';
import type { Alert, Asset, Control, Device, Framework, Issue, Page, Posture, PosturePart, Scan, ScanReport } from './types';

export const SECURITY_URL = '*/api/modules/cybersecurity-scanner';

export const members = [
  { user_id: 'u1', email: 'ada@example.com', full_name: 'Ada Lovelace', role: 'admin' as const },
  { user_id: 'u2', email: 'grace@example.com', full_name: 'Grace Hopper', role: 'member' as const },
];

let counter = 0;
const next = () => {
  counter += 1;
  return counter;
};

export function page<T>(items: T[], total = items.length, limit = 25, offset = 0): Page<T> {
  return { items, total, limit, offset };
}

/** Signed in as `role` of Acme, with the shell's calls and the team answered. */
export function signedInAs(role: Role = 'admin') {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role } })),
    http.get('*/api/organization', () => HttpResponse.json(organization)),
    http.get('*/api/team/members', () =>
      HttpResponse.json(page(members.map((m) => ({ ...m, module_roles: {}, mfa_enabled: false, joined_at: '2026-01-01T00:00:00Z' })), 2, 200)),
    ),
  );
}

export function issue(overrides: Partial<Issue> = {}): Issue {
  const n = next();
  return {
    id: `issue-${n}`,
    check_id: 'web.hsts',
    category: 'web',
    target: 'https://shop.example.com/',
    title: `Issue ${n}`,
    severity: 'high',
    status: 'open',
    accepted_reason: null,
    assignee_id: null,
    due_at: null,
    evidence: { header: null, url: 'https://shop.example.com/' },
    remediation: 'Send Strict-Transport-Security: max-age=63072000.',
    controls: ['soc2:CC6.7', 'pci:4.2.1'],
    asset_id: null,
    device_id: null,
    detected_at: '2026-03-01T09:00:00Z',
    last_seen_at: '2026-03-02T09:00:00Z',
    resolved_at: null,
    reopened_count: 0,
    updated_at: '2026-03-02T09:00:00Z',
    ...overrides,
  };
}

export function part(key: string, name: string, weight: number, overrides: Partial<PosturePart> = {}): PosturePart {
  return { key, name, weight, score: 100, points: weight, points_lost: 0, deductions: [], accepted: [], ...overrides };
}

export function posture(overrides: Partial<Posture> = {}): Posture {
  return {
    score: 100,
    grade: 'A',
    parts: [part('mfa', 'MFA adoption', 30), part('access', 'Access control', 25), part('data', 'Data security', 25), part('compliance', 'Compliance', 20)] as unknown as Posture['parts'],
    open_issues: { critical: 0, high: 0, medium: 0, low: 0 },
    history: [],
    trend: { days_7: null, days_30: null },
    last_scan_at: null,
    ...overrides,
  };
}

export function asset(overrides: Partial<Asset> = {}): Asset {
  const n = next();
  return {
    id: `asset-${n}`,
    kind: 'domain',
    value: `site${n}.example.com`,
    label: null,
    scan_enabled: true,
    ports: [],
    dkim_selectors: [],
    attested_by: 'u1',
    attested_at: '2026-03-01T09:00:00Z',
    last_scanned_at: null,
    created_at: '2026-03-01T09:00:00Z',
    open_issues: 0,
    grades: {},
    ...overrides,
  };
}

export function alert(overrides: Partial<Alert> = {}): Alert {
  const n = next();
  return {
    id: `alert-${n}`,
    kind: 'new_issue',
    severity: 'high',
    title: `Alert ${n}`,
    body: 'A new high issue was found.',
    issue_id: null,
    device_id: null,
    created_at: '2026-03-02T09:00:00Z',
    acknowledged_at: null,
    ...overrides,
  };
}

export function scan(overrides: Partial<Scan> = {}): Scan {
  const n = next();
  return {
    id: `scan-${n}`,
    status: 'running',
    trigger: 'manual',
    categories: ['web', 'tls'],
    asset_ids: [],
    progress_done: 0,
    progress_total: 2,
    summary: {},
    errors: [],
    created_at: '2026-03-02T09:00:00Z',
    started_at: '2026-03-02T09:00:01Z',
    finished_at: null,
    reports: [],
    findings: [],
    ...overrides,
  };
}

export function report(overrides: Partial<ScanReport> = {}): ScanReport {
  const n = next();
  return {
    id: `report-${n}`,
    asset_id: null,
    check: 'web',
    target: 'https://shop.example.com/',
    grade: null,
    score: null,
    error: null,
    report: {},
    created_at: '2026-03-02T09:00:05Z',
    ...overrides,
  };
}

export function device(overrides: Partial<Device> = {}): Device {
  const n = next();
  return {
    id: `device-${n}`,
    hostname: `laptop-${n}`,
    source: 'agent',
    os_family: 'linux',
    os_name: 'Ubuntu',
    os_version: '24.04',
    kernel: '6.8.0',
    arch: 'x86_64',
    model: null,
    ips: ['192.168.1.20'],
    macs: [],
    open_ports: [],
    disk_encryption: true,
    firewall: null,
    screen_lock: false,
    auto_updates: null,
    last_update_at: null,
    agent_version: '1.0.0',
    package_count: 0,
    known: false,
    first_seen_at: '2026-03-01T09:00:00Z',
    last_seen_at: '2026-03-02T09:00:00Z',
    open_issues: 1,
    vulnerabilities: 0,
    ...overrides,
  };
}

export function control(overrides: Partial<Control> = {}): Control {
  const n = next();
  return {
    id: `CC${n}.1`,
    title: `Control ${n}`,
    description: 'The entity restricts logical access.',
    category: 'Logical and physical access',
    automated: false,
    evidence_hint: 'Access review records.',
    review_days: 90,
    status: 'needs_evidence',
    reasons: ['No findings and no review yet.'],
    findings: [],
    manual: null,
    evidence: [],
    ...overrides,
  };
}

export function framework(controls: Control[], overrides: Partial<Framework> = {}): Framework {
  const counts = { passing: 0, failing: 0, manual_met: 0, manual_not_met: 0, not_applicable: 0, needs_evidence: 0, review_overdue: 0 };
  for (const c of controls) counts[c.status as keyof typeof counts] += 1;
  return { framework: 'soc2', name: 'SOC 2', version: '2017 (rev. 2022)', percent_complete: 0, counts, controls, ...overrides };
}
