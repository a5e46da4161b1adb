/**
 * Cybersecurity Scanner shapes: the generated API types, plus typed views of the free-form reports the
 * API returns as JSON objects (posture parts, the Observatory-style header report, TLS, DNS and port
 * reports, compliance findings). Those views are what the checks write today; every field a page reads
 * from them is treated as possibly missing, since a failed check stores a partial report.
 */
import type { components } from '../../api/schema';

type Schemas = components['schemas'];

export type Asset = Schemas['AssetOut'];
export type AssetIn = Schemas['AssetIn'];
export type AssetPatch = Schemas['AssetPatch'];
export type AssetKind = AssetIn['kind'];
export type ScanSummary = Schemas['ScanSummaryOut'];
export type Scan = Schemas['ScanOut'];
export type ScanReport = Schemas['ScanReportOut'];
export type ScanFinding = Schemas['FindingOut'];
export type ScanIn = Schemas['ScanIn'];
export type ScanUrlResult = Schemas['ScanUrlOut'];
export type Posture = Schemas['PostureOut'];
export type PosturePoint = Schemas['PosturePoint'];
export type Issue = Schemas['IssueOut'];
export type IssuePatch = Schemas['IssuePatch'];
export type Alert = Schemas['AlertOut'];
export type Device = Schemas['DeviceOut'];
export type DeviceDetail = Schemas['DeviceDetailOut'];
export type DevicePackage = Schemas['DevicePackageOut'];
export type EnrolmentToken = Schemas['EnrolmentTokenOut'];
export type EnrolmentTokenCreated = Schemas['EnrolmentTokenCreated'];
export type FrameworkSummary = Schemas['FrameworkSummaryOut'];
export type Framework = Schemas['FrameworkOut'];
export type Control = Schemas['ControlOut'];
export type ControlStateIn = Schemas['ControlStateIn'];
export type Evidence = Schemas['EvidenceOut'];

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const ISSUE_STATUSES = ['open', 'in_progress', 'resolved', 'accepted'] as const;
export type IssueStatus = (typeof ISSUE_STATUSES)[number];
/** What a finding or issue is about (the checks' categories, devices and vulnerabilities included). */
export const ISSUE_CATEGORIES = ['web', 'tls', 'dns', 'network', 'platform', 'device', 'vulnerability'] as const;
export const SCAN_CATEGORIES = ['web', 'tls', 'dns', 'network', 'platform', 'devices'] as const;
export type ScanCategory = (typeof SCAN_CATEGORIES)[number];
export const ASSET_KINDS = ['domain', 'url', 'ip', 'cidr'] as const satisfies readonly AssetKind[];
export const MANUAL_STATUSES = ['met', 'not_met', 'not_applicable'] as const satisfies readonly ControlStateIn['status'][];
export const ACTIVE_SCAN_STATUSES: ReadonlySet<string> = new Set(['queued', 'running']);

export interface IssueQuery {
  status?: IssueStatus[];
  severity?: Severity[];
  category?: string;
  q?: string;
  device_id?: string;
  asset_id?: string;
  limit: number;
  offset: number;
}

// -- posture ---------------------------------------------------------------------------------------

/** One point lost: an issue (with its id) or, for MFA adoption, a member without MFA. */
export interface Deduction {
  reason?: string;
  issue_id?: string;
  check_id: string;
  title?: string;
  severity?: string;
  target?: string;
  user_id?: string;
  /** Points this cost the part (out of its 100). */
  part_points: number;
  /** Points this cost the total score (out of 100). */
  points: number;
}

export interface PosturePart {
  key: string;
  name: string;
  weight: number;
  score: number;
  points: number;
  points_lost: number;
  deductions: Deduction[];
  /** Issues whose risk was accepted: listed, not counted. */
  accepted: Omit<Deduction, 'points' | 'part_points'>[];
}

// -- web (HTTP Observatory) ------------------------------------------------------------------------

export interface HeaderTest {
  name: string;
  result: string;
  passed: boolean;
  score_modifier: number;
  description: string;
  data?: Record<string, unknown>;
}

export interface HeadersReport {
  url?: string;
  final_url?: string;
  status_code?: number;
  score?: number;
  grade?: string;
  tests?: HeaderTest[];
  redirects?: string[];
  tests_passed?: number;
  tests_failed?: number;
}

// -- TLS -------------------------------------------------------------------------------------------

export interface CertificateFacts {
  subject?: string;
  issuer?: string;
  sans?: string[];
  not_before?: string;
  not_after?: string;
  days_left?: number;
  key_type?: string;
  key_bits?: number | null;
  key_curve?: string | null;
  signature_algorithm?: string;
  signature_hash?: string | null;
  self_signed?: boolean;
}

export interface TlsCipher {
  protocol?: string;
  name?: string;
  bits?: number;
  forward_secrecy?: boolean;
  aead?: boolean;
}

export interface TlsReport {
  host?: string;
  port?: number;
  protocols?: Record<string, 'offered' | 'not_offered' | 'untested' | string>;
  ciphers?: TlsCipher[];
  weak_ciphers_accepted?: string[];
  certificate?: CertificateFacts;
  chain_valid?: boolean;
  chain_error?: string | null;
  hostname_match?: boolean;
  score?: number;
  grade?: string;
  grade_if_trusted?: string;
  caps?: string[];
  notes?: string[];
  untested?: string[];
  error?: string | null;
}

// -- DNS and e-mail --------------------------------------------------------------------------------

export interface DnsSection {
  record?: string | null;
  errors?: string[];
  warnings?: string[];
  [key: string]: unknown;
}

export interface DnsReport {
  domain?: string;
  spf?: DnsSection;
  dmarc?: DnsSection;
  dkim?: DnsSection;
  mta_sts?: DnsSection;
  tls_rpt?: DnsSection;
  caa?: DnsSection;
  dnssec?: DnsSection;
  mx?: { preference?: number; exchange?: string }[];
  notes?: string[];
  unresolved?: string[];
}

// -- network ---------------------------------------------------------------------------------------

export interface OpenPort {
  port: number;
  protocol?: string;
  state?: string;
  service?: string | null;
  banner?: string | null;
  product?: string | null;
  version?: string | null;
  risky?: boolean;
  risk?: string | null;
  severity?: string | null;
}

export interface PortScanReport {
  host?: string;
  ip?: string;
  ports?: OpenPort[];
  closed?: number;
  filtered?: number;
  scanned?: number;
  method?: string;
  duration_ms?: number;
}

// -- compliance ------------------------------------------------------------------------------------

export interface ControlFinding {
  check_id: string;
  target: string;
  passed: boolean;
  severity: string;
  title: string;
  observed_at?: string;
}

export interface ManualAttestation {
  status: ControlStateIn['status'];
  note: string | null;
  reviewed_at: string | null;
  review_due_at: string | null;
}

export interface EvidenceFile {
  id: string;
  filename: string;
  sha256: string;
  size_bytes: number;
  uploaded_at: string;
  note: string | null;
}
