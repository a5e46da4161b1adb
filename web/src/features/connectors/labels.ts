/** Words for what the API names with identifiers: categories, tables, credential and account fields. */
import type { CatalogueEntry, ConnectionStatus, RunStatus, SyncRun } from './connectionsApi';

const CATEGORY_LABELS: Record<string, string> = {
  commerce: 'Commerce',
  payments: 'Payments',
  crm: 'CRM',
  accounting: 'Accounting',
  email: 'E-mail and calendar',
  files: 'Files',
};

export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category] ?? humanize(category);
}

const STREAM_LABELS: Record<string, string> = {
  order_items: 'order items',
  email_messages: 'e-mail messages',
  calendar_events: 'calendar events',
};

export function streamLabel(stream: string): string {
  return STREAM_LABELS[stream] ?? stream.replaceAll('_', ' ');
}

/** "customers, invoices and payments". */
export function listLabel(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function authLabel(entry: CatalogueEntry): string {
  if (entry.auth === 'oauth2') return entry.key_fields.length > 0 ? 'Sign-in or access token' : 'Sign-in (OAuth)';
  if (entry.auth === 'api_key') return 'API key';
  return 'No sign-in';
}

function humanize(identifier: string): string {
  const words = identifier.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export interface FieldText {
  label: string;
  hint?: string;
  /** Typed into a password input and never shown again. */
  secret: boolean;
}

const KEY_FIELDS: Record<string, FieldText> = {
  api_key: {
    label: 'Restricted API key',
    hint: 'A restricted key (rk_live_…) with read access, made under Developers → API keys.',
    secret: true,
  },
  shop: { label: 'Shop name', hint: 'As in <name>.myshopify.com.', secret: false },
  access_token: {
    label: 'Admin API access token',
    hint: 'The token of a custom app you made in your Shopify admin (shpat_…), with read access.',
    secret: true,
  },
};

/** A credential the key form asks for; an unknown one is treated as a secret. */
export function keyFieldText(field: string): FieldText {
  return KEY_FIELDS[field] ?? { label: humanize(field), secret: true };
}

/** Zoho keeps each account in one data centre; its accounts server is where the sign-in happens. */
export const ZOHO_REGIONS = [
  { value: 'accounts.zoho.com', label: 'United States (zoho.com)' },
  { value: 'accounts.zoho.eu', label: 'Europe (zoho.eu)' },
  { value: 'accounts.zoho.in', label: 'India (zoho.in)' },
  { value: 'accounts.zoho.com.au', label: 'Australia (zoho.com.au)' },
  { value: 'accounts.zoho.jp', label: 'Japan (zoho.jp)' },
  { value: 'accounts.zoho.uk', label: 'United Kingdom (zoho.uk)' },
  { value: 'accounts.zohocloud.ca', label: 'Canada (zohocloud.ca)' },
  { value: 'accounts.zoho.sa', label: 'Saudi Arabia (zoho.sa)' },
] as const;

export const ACCOUNT_DEFAULTS: Record<string, string> = { accounts_domain: 'accounts.zoho.com', tenant: 'common' };

const ACCOUNT_FIELDS: Record<string, FieldText> = {
  shop: { label: 'Shop name', hint: 'As in <name>.myshopify.com.', secret: false },
  accounts_domain: { label: 'Zoho region', hint: 'Where your Zoho account lives: the domain you sign in at.', secret: false },
  tenant: {
    label: 'Microsoft Entra tenant',
    hint: 'Your organization’s tenant ID or domain. Keep “common” to sign in with any work or personal account.',
    secret: false,
  },
};

export function accountFieldText(field: string): FieldText {
  return ACCOUNT_FIELDS[field] ?? { label: humanize(field), secret: false };
}

export const CONNECTION_STATUS: Record<ConnectionStatus, { label: string; tone: 'success' | 'danger' | 'neutral' }> = {
  active: { label: 'Active', tone: 'success' },
  error: { label: 'Error', tone: 'danger' },
  disconnected: { label: 'Disconnected', tone: 'neutral' },
};

export const RUN_STATUS: Record<RunStatus, { label: string; tone: 'neutral' | 'brand' | 'success' | 'danger' }> = {
  queued: { label: 'Queued', tone: 'neutral' },
  running: { label: 'Running', tone: 'brand' },
  completed: { label: 'Completed', tone: 'success' },
  failed: { label: 'Failed', tone: 'danger' },
};

export const TRIGGER_LABELS: Record<SyncRun['trigger'], string> = {
  initial: 'First sync',
  manual: 'Sync now',
  schedule: 'Schedule',
  webhook: 'Webhook',
};
