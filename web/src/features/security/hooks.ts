/** TanStack Query hooks for the Cybersecurity Scanner, keyed under the tenant so tenants never share cache. */
import { useEffect, useMemo, useRef } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { ApiError } from '../../api/problem';
import { useTenantKey } from '../auth/session';
import * as securityApi from './api';
import {
  ACTIVE_SCAN_STATUSES,
  type Alert,
  type Asset,
  type AssetIn,
  type AssetPatch,
  type ControlStateIn,
  type Device,
  type DeviceDetail,
  type EnrolmentToken,
  type EnrolmentTokenCreated,
  type Evidence,
  type Framework,
  type FrameworkSummary,
  type Issue,
  type IssuePatch,
  type IssueQuery,
  type Page,
  type Posture,
  type Scan,
  type ScanIn,
  type ScanSummary,
  type ScanUrlResult,
} from './types';

/** How often a queued or running scan is asked for its progress. */
export const SCAN_POLL_MS = 1000;

export function useSecurityKey() {
  const [scope, tenant] = useTenantKey();
  // Stable between renders, so effects that depend on it run only when the tenant changes.
  return useMemo(() => [scope, tenant, 'security'] as const, [scope, tenant]);
}

type SecurityKey = ReturnType<typeof useSecurityKey>;

/** A scan, a status change or a new asset can move everything the overview shows. */
function invalidateAll(queryClient: QueryClient, key: SecurityKey): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: key });
}

// -- posture and alerts ----------------------------------------------------------------------------

export function usePosture(days = 90) {
  const key = useSecurityKey();
  return useQuery<Posture, ApiError>({ queryKey: [...key, 'posture', days], queryFn: () => securityApi.getPosture(days) });
}

export function useAlerts(query: { unacknowledged?: boolean; limit: number; offset: number }) {
  const key = useSecurityKey();
  return useQuery<Page<Alert>, ApiError>({
    queryKey: [...key, 'alerts', query],
    queryFn: () => securityApi.listAlerts(query),
    placeholderData: keepPreviousData,
  });
}

export function useAcknowledgeAlert() {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: securityApi.acknowledgeAlert,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'alerts'] }),
  });
}

// -- assets ----------------------------------------------------------------------------------------

export function useAssets() {
  const key = useSecurityKey();
  return useQuery<Asset[], ApiError>({ queryKey: [...key, 'assets'], queryFn: securityApi.listAssets });
}

export function useCreateAsset() {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  return useMutation<Asset, ApiError, AssetIn>({
    mutationFn: securityApi.createAsset,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'assets'] }),
  });
}

export function useUpdateAsset() {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  return useMutation<Asset, ApiError, { id: string; patch: AssetPatch }>({
    mutationFn: ({ id, patch }) => securityApi.updateAsset(id, patch),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'assets'] }),
  });
}

export function useDeleteAsset() {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: securityApi.deleteAsset,
    onSuccess: () => invalidateAll(queryClient, key),
  });
}

export function useScanUrl() {
  return useMutation<ScanUrlResult, ApiError, string>({ mutationFn: securityApi.scanUrl });
}

// -- scans -----------------------------------------------------------------------------------------

export function useStartScan() {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  return useMutation<{ id: string; status: string }, ApiError, ScanIn>({
    mutationFn: securityApi.startScan,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'scans'] }),
  });
}

export function useScans(query: { limit: number; offset: number }) {
  const key = useSecurityKey();
  return useQuery<Page<ScanSummary>, ApiError>({
    queryKey: [...key, 'scans', 'list', query],
    queryFn: () => securityApi.listScans(query),
    placeholderData: keepPreviousData,
    // Follow a scan that is still moving; otherwise the list is refreshed on focus like any other.
    refetchInterval: (q) => (q.state.data?.items.some((s) => ACTIVE_SCAN_STATUSES.has(s.status)) ? 2 * SCAN_POLL_MS : false),
  });
}

/** One scan, polled every second while it is queued or running. When it finishes, everything it
 * changed (issues, posture, alerts, assets' grades) is refreshed. */
export function useScan(id: string | undefined) {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  const query = useQuery<Scan, ApiError>({
    queryKey: [...key, 'scans', 'detail', id],
    queryFn: () => securityApi.getScan(id!),
    enabled: Boolean(id),
    refetchInterval: (q) => (q.state.data && !ACTIVE_SCAN_STATUSES.has(q.state.data.status) ? false : SCAN_POLL_MS),
  });
  const status = query.data?.status;
  // Refresh once per scan seen finished — also when it was already finished at the first look (a
  // fast scan, a busy machine): otherwise the overview would keep the score from before it.
  const refreshedFor = useRef<string | null>(null);
  useEffect(() => {
    if (!status || !id || ACTIVE_SCAN_STATUSES.has(status)) return;
    if (refreshedFor.current === id) return;
    refreshedFor.current = id;
    for (const part of ['posture', 'issues', 'alerts', 'assets', 'devices', 'compliance'] as const) {
      void queryClient.invalidateQueries({ queryKey: [...key, part] });
    }
    void queryClient.invalidateQueries({ queryKey: [...key, 'scans', 'list'] });
  }, [status, id, key, queryClient]);
  return query;
}

// -- issues ----------------------------------------------------------------------------------------

export function useIssues(query: IssueQuery, enabled = true) {
  const key = useSecurityKey();
  return useQuery<Page<Issue>, ApiError>({
    queryKey: [...key, 'issues', 'list', query],
    queryFn: () => securityApi.listIssues(query),
    placeholderData: keepPreviousData,
    enabled,
  });
}

export function useIssue(id: string | undefined) {
  const key = useSecurityKey();
  return useQuery<Issue, ApiError>({
    queryKey: [...key, 'issues', 'detail', id],
    queryFn: () => securityApi.getIssue(id!),
    enabled: Boolean(id),
  });
}

export function useUpdateIssue() {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  return useMutation<Issue, ApiError, { id: string; patch: IssuePatch }>({
    mutationFn: ({ id, patch }) => securityApi.updateIssue(id, patch),
    onSuccess: (issue) => {
      queryClient.setQueryData([...key, 'issues', 'detail', issue.id], issue);
      // A status change moves the score, the lists and the compliance status.
      return invalidateAll(queryClient, key);
    },
  });
}

// -- team ------------------------------------------------------------------------------------------

export interface TeamMember {
  user_id: string;
  email: string;
  full_name: string | null;
}

/** Everyone an issue can be assigned to (the team endpoint pages at 200 at most). */
export function useTeamMembers() {
  const key = useTenantKey();
  return useQuery<TeamMember[], ApiError>({
    queryKey: [...key, 'security', 'members'],
    queryFn: async () => {
      const page = await unwrap(api.GET('/api/team/members', { params: { query: { limit: 200, offset: 0 } } }));
      return page.items.map(({ user_id, email, full_name }) => ({ user_id, email, full_name }));
    },
    staleTime: 5 * 60_000,
  });
}

export function useMemberNames(): Map<string, string> {
  const { data } = useTeamMembers();
  return useMemo(() => new Map((data ?? []).map((m) => [m.user_id, m.full_name || m.email])), [data]);
}

// -- devices ---------------------------------------------------------------------------------------

export function useDevices(query: { q?: string; known?: boolean; limit: number; offset: number }) {
  const key = useSecurityKey();
  return useQuery<Page<Device>, ApiError>({
    queryKey: [...key, 'devices', 'list', query],
    queryFn: () => securityApi.listDevices(query),
    placeholderData: keepPreviousData,
  });
}

export function useDevice(id: string | undefined) {
  const key = useSecurityKey();
  return useQuery<DeviceDetail, ApiError>({
    queryKey: [...key, 'devices', 'detail', id],
    queryFn: () => securityApi.getDevice(id!),
    enabled: Boolean(id),
  });
}

export function useUpdateDevice() {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  return useMutation<Device, ApiError, { id: string; known?: boolean; hostname?: string }>({
    mutationFn: ({ id, ...patch }) => securityApi.updateDevice(id, patch),
    // Marking a device known resolves its "unknown device" issue.
    onSuccess: () => invalidateAll(queryClient, key),
  });
}

export function useEnrolmentTokens(enabled: boolean) {
  const key = useSecurityKey();
  return useQuery<EnrolmentToken[], ApiError>({
    queryKey: [...key, 'enrolment-tokens'],
    queryFn: securityApi.listEnrolmentTokens,
    enabled,
    retry: (count, error) => error.status !== 403 && count < 2,
  });
}

export function useCreateEnrolmentToken() {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  return useMutation<EnrolmentTokenCreated, ApiError, string | null>({
    mutationFn: securityApi.createEnrolmentToken,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'enrolment-tokens'] }),
  });
}

export function useRevokeEnrolmentToken() {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: securityApi.revokeEnrolmentToken,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'enrolment-tokens'] }),
  });
}

export function useDownloadAgent() {
  return useMutation<void, ApiError, void>({ mutationFn: securityApi.downloadAgent });
}

// -- compliance ------------------------------------------------------------------------------------

export function useFrameworks() {
  const key = useSecurityKey();
  return useQuery<FrameworkSummary[], ApiError>({ queryKey: [...key, 'compliance', 'list'], queryFn: securityApi.listFrameworks });
}

export function useFramework(framework: string | undefined) {
  const key = useSecurityKey();
  return useQuery<Framework, ApiError>({
    queryKey: [...key, 'compliance', 'detail', framework],
    queryFn: () => securityApi.getFramework(framework!),
    enabled: Boolean(framework),
  });
}

export function useAttestControl(framework: string) {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  return useMutation<Framework, ApiError, { controlId: string; body: ControlStateIn }>({
    mutationFn: ({ controlId, body }) => securityApi.attestControl(framework, controlId, body),
    onSuccess: (updated) => {
      queryClient.setQueryData([...key, 'compliance', 'detail', framework], updated);
      return queryClient.invalidateQueries({ queryKey: [...key, 'compliance', 'list'] });
    },
  });
}

export function useUploadEvidence(framework: string) {
  const key = useSecurityKey();
  const queryClient = useQueryClient();
  return useMutation<Evidence, ApiError, { controlId: string; file: File; note: string }>({
    mutationFn: ({ controlId, file, note }) => securityApi.uploadEvidence(framework, controlId, file, note),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'compliance'] }),
  });
}

export function useDownload<T>(download: (arg: T) => Promise<void>) {
  return useMutation<void, ApiError, T>({ mutationFn: download });
}
