/** App connections: the catalogue, connecting (OAuth or key), syncing, the run history, disconnecting. */
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';

type Schemas = components['schemas'];

export type ConnectorsOverview = Schemas['ConnectorsOverview'];
export type CatalogueEntry = Schemas['CatalogueEntry'];
export type Connection = Schemas['ConnectionOut'];
export type ConnectionStatus = Connection['status'];
export type ConnectionCreated = Schemas['ConnectionCreated'];
export type Authorization = Schemas['AuthorizationOut'];
export type SyncRequested = Schemas['SyncRequested'];
export type SyncRun = Schemas['SyncRunOut'];
export type SyncRunPage = Schemas['Page_SyncRunOut_'];
export type RunStatus = SyncRun['status'];
export type StreamCounts = Schemas['StreamCounts'];

/** The built-in CSV/XLSX source: it is imported with the wizard, never connected or synced. */
export const FILE_TYPE = 'file';
export const RUNS_PAGE = 10;
/** How often a queued or running sync is asked for its progress. */
export const RUN_POLL_MS = 1000;

/** What the authorize call needs about the account: Shopify's shop, Zoho's region, Outlook's Entra tenant. */
export interface AccountDetails {
  shop?: string;
  accounts_domain?: string;
  tenant?: string;
  name?: string;
}

export interface KeyConnection {
  type: string;
  name: string | null;
  credentials: Record<string, string>;
  webhookSecret: string | null;
}

export function getOverview(): Promise<ConnectorsOverview> {
  return unwrap(api.GET('/api/connectors'));
}

export function authorize(type: string, account: AccountDetails): Promise<Authorization> {
  // Only the details the user gave: an empty value must not override the server's default (Outlook: common).
  const query = Object.fromEntries(Object.entries(account).filter(([, value]) => value?.trim())) as AccountDetails;
  return unwrap(api.GET('/api/connectors/oauth/{provider}/authorize', { params: { path: { provider: type }, query } }));
}

/** Finish an OAuth connection with everything the provider put on the redirect (code, state and its extras). */
export function completeOAuth(type: string, redirect: Record<string, string>): Promise<ConnectionCreated> {
  const { code = '', state = '', ...extras } = redirect;
  return unwrap(
    api.POST('/api/connectors/oauth/{provider}/callback', {
      params: { path: { provider: type } },
      body: { ...extras, code, state },
    }),
  );
}

export function connectWithKey({ type, name, credentials, webhookSecret }: KeyConnection): Promise<ConnectionCreated> {
  return unwrap(api.POST('/api/connectors', { body: { type, name, credentials, webhook_secret: webhookSecret } }));
}

export function syncNow(connectionId: string): Promise<SyncRequested> {
  return unwrap(api.POST('/api/connectors/sync/{connection_id}', { params: { path: { connection_id: connectionId } }, body: {} }));
}

export function listRuns(connectionId: string, offset: number, limit = RUNS_PAGE): Promise<SyncRunPage> {
  return unwrap(
    api.GET('/api/connectors/{connection_id}/runs', { params: { path: { connection_id: connectionId }, query: { limit, offset } } }),
  );
}

export function getRun(connectionId: string, runId: string): Promise<SyncRun> {
  return unwrap(
    api.GET('/api/connectors/{connection_id}/runs/{run_id}', { params: { path: { connection_id: connectionId, run_id: runId } } }),
  );
}

export async function disconnect(connectionId: string, keepData: boolean): Promise<void> {
  await unwrap(
    api.DELETE('/api/connectors/{connection_id}', { params: { path: { connection_id: connectionId }, query: { keep_data: keepData } } }),
  );
}

export function isRunFinished(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed';
}

/** Records fetched so far across the run's streams. */
export function fetchedTotal(run: SyncRun): number {
  return Object.values(run.records).reduce((sum, counts) => sum + counts.fetched, 0);
}
