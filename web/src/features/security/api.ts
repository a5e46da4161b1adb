/**
 * Cybersecurity Scanner calls through the typed client (auth headers, refresh-and-retry on 401, non-2xx
 * raised as `ApiError`). Files (the agent, evidence, compliance reports) need the auth header too, so
 * they are fetched as blobs and saved from memory rather than linked.
 */
import { api, unwrap } from '../../api/client';
import { networkError, problemFromResponse } from '../../api/problem';
import type {
  Alert,
  Asset,
  AssetIn,
  AssetPatch,
  ControlStateIn,
  Device,
  DeviceDetail,
  EnrolmentToken,
  EnrolmentTokenCreated,
  Evidence,
  Framework,
  FrameworkSummary,
  Issue,
  IssuePatch,
  IssueQuery,
  Page,
  Posture,
  Scan,
  ScanIn,
  ScanSummary,
  ScanUrlResult,
} from './types';

export const SECURITY_API = '/api/modules/cybersecurity-scanner';

// -- posture and alerts ----------------------------------------------------------------------------

export function getPosture(days = 90): Promise<Posture> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/posture', { params: { query: { days } } }));
}

export function listAlerts(query: { unacknowledged?: boolean; limit: number; offset: number }): Promise<Page<Alert>> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/alerts', { params: { query } }));
}

export async function acknowledgeAlert(id: string): Promise<void> {
  await unwrap(api.POST('/api/modules/cybersecurity-scanner/alerts/{alert_id}/acknowledge', { params: { path: { alert_id: id } } }));
}

// -- assets ----------------------------------------------------------------------------------------

export function listAssets(): Promise<Asset[]> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/assets'));
}

export function createAsset(body: AssetIn): Promise<Asset> {
  return unwrap(api.POST('/api/modules/cybersecurity-scanner/assets', { body }));
}

export function updateAsset(id: string, body: AssetPatch): Promise<Asset> {
  return unwrap(api.PATCH('/api/modules/cybersecurity-scanner/assets/{asset_id}', { params: { path: { asset_id: id } }, body }));
}

export async function deleteAsset(id: string): Promise<void> {
  await unwrap(api.DELETE('/api/modules/cybersecurity-scanner/assets/{asset_id}', { params: { path: { asset_id: id } } }));
}

export function scanUrl(url: string): Promise<ScanUrlResult> {
  return unwrap(api.POST('/api/modules/cybersecurity-scanner/scan-url', { body: { url } }));
}

// -- scans -----------------------------------------------------------------------------------------

export function startScan(body: ScanIn): Promise<{ id: string; status: string }> {
  return unwrap(api.POST('/api/modules/cybersecurity-scanner/scans', { body }));
}

export function listScans(query: { limit: number; offset: number }): Promise<Page<ScanSummary>> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/scans', { params: { query } }));
}

export function getScan(id: string): Promise<Scan> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/scans/{scan_id}', { params: { path: { scan_id: id } } }));
}

// -- issues ----------------------------------------------------------------------------------------

export function listIssues(query: IssueQuery): Promise<Page<Issue>> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/issues', { params: { query } }));
}

export function getIssue(id: string): Promise<Issue> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/issues/{issue_id}', { params: { path: { issue_id: id } } }));
}

export function updateIssue(id: string, body: IssuePatch): Promise<Issue> {
  return unwrap(api.PATCH('/api/modules/cybersecurity-scanner/issues/{issue_id}', { params: { path: { issue_id: id } }, body }));
}

// -- devices ---------------------------------------------------------------------------------------

export function listDevices(query: { q?: string; known?: boolean; limit: number; offset: number }): Promise<Page<Device>> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/devices', { params: { query } }));
}

export function getDevice(id: string): Promise<DeviceDetail> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/devices/{device_id}', { params: { path: { device_id: id } } }));
}

export function updateDevice(id: string, body: { known?: boolean; hostname?: string }): Promise<Device> {
  return unwrap(api.PATCH('/api/modules/cybersecurity-scanner/devices/{device_id}', { params: { path: { device_id: id } }, body }));
}

export function listEnrolmentTokens(): Promise<EnrolmentToken[]> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/enrolment-tokens'));
}

export function createEnrolmentToken(label: string | null): Promise<EnrolmentTokenCreated> {
  return unwrap(api.POST('/api/modules/cybersecurity-scanner/enrolment-tokens', { body: { label } }));
}

export async function revokeEnrolmentToken(id: string): Promise<void> {
  await unwrap(api.DELETE('/api/modules/cybersecurity-scanner/enrolment-tokens/{token_id}', { params: { path: { token_id: id } } }));
}

export async function downloadAgent(): Promise<void> {
  saveFile(await fetchFile(api.GET('/api/modules/cybersecurity-scanner/agent', { parseAs: 'blob' })), 'binelek-agent.py');
}

// -- compliance ------------------------------------------------------------------------------------

export function listFrameworks(): Promise<FrameworkSummary[]> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/compliance'));
}

export function getFramework(framework: string): Promise<Framework> {
  return unwrap(api.GET('/api/modules/cybersecurity-scanner/compliance/{framework}', { params: { path: { framework } } }));
}

export function attestControl(framework: string, controlId: string, body: ControlStateIn): Promise<Framework> {
  return unwrap(
    api.PUT('/api/modules/cybersecurity-scanner/compliance/{framework}/controls/{control_id}', {
      params: { path: { framework, control_id: controlId } },
      body,
    }),
  );
}

export function uploadEvidence(framework: string, controlId: string, file: File, note: string): Promise<Evidence> {
  const form = new FormData();
  form.append('file', file, file.name);
  if (note.trim()) form.append('note', note.trim());
  return unwrap(
    api.POST('/api/modules/cybersecurity-scanner/compliance/{framework}/controls/{control_id}/evidence', {
      params: { path: { framework, control_id: controlId } },
      // The schema types the file as a string; the browser sends the FormData as multipart as is.
      body: form as unknown as { file: string },
      bodySerializer: (body) => body as unknown as FormData,
    }),
  );
}

export async function downloadEvidence(framework: string, evidenceId: string, filename: string): Promise<void> {
  const file = await fetchFile(
    api.GET('/api/modules/cybersecurity-scanner/compliance/{framework}/evidence/{evidence_id}', {
      params: { path: { framework, evidence_id: evidenceId } },
      parseAs: 'blob',
    }),
  );
  saveFile(file, filename);
}

export async function downloadComplianceReport(framework: string, format: 'json' | 'pdf'): Promise<void> {
  const file = await fetchFile(
    api.GET('/api/modules/cybersecurity-scanner/compliance/{framework}/report', {
      params: { path: { framework }, query: { format } },
      parseAs: 'blob',
    }),
  );
  saveFile(file, `${framework}-compliance.${format}`);
}

// -- files -----------------------------------------------------------------------------------------

interface FileResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** Await a file request (`parseAs: 'blob'`), raising the problem+json of a failed one like `unwrap`. */
async function fetchFile(call: Promise<FileResult>): Promise<{ blob: Blob; response: Response }> {
  let result: FileResult;
  try {
    result = await call;
  } catch (cause) {
    throw networkError(cause);
  }
  if (!result.response.ok) throw problemFromResponse(result.response, result.error);
  return { blob: result.data instanceof Blob ? result.data : new Blob([]), response: result.response };
}

/** The file's name from Content-Disposition, else `fallback`. */
export function filenameOf(response: Response, fallback: string): string {
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const named = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  return named?.[1] ? decodeURIComponent(named[1]) : fallback;
}

function saveFile({ blob, response }: { blob: Blob; response: Response }, fallback: string): void {
  saveBlob(blob, filenameOf(response, fallback));
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Give the browser a moment to start the download before the URL goes away.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
