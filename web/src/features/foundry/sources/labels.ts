import { streamLabel } from '../../connectors/labels';
import type { DataSourceOut } from './types';

const TYPE_LABELS: Record<string, string> = {
  shopify: 'Shopify',
  stripe: 'Stripe',
  square: 'Square',
  hubspot: 'HubSpot',
  zoho_crm: 'Zoho CRM',
  quickbooks: 'QuickBooks Online',
  xero: 'Xero',
  gmail: 'Gmail',
  outlook: 'Outlook',
  file: 'CSV / Excel files',
  postgresql: 'PostgreSQL',
  mysql: 'MySQL / MariaDB',
  sqlite: 'SQLite',
};

export function typeLabel(type: string): string {
  return TYPE_LABELS[type] ?? type.charAt(0).toUpperCase() + type.slice(1).replaceAll('_', ' ');
}

type Tone = 'neutral' | 'brand' | 'success' | 'warning' | 'danger';

/** A source's status in words and colour (connections: active | error | disconnected; databases: ok | error | pending). */
export function statusOf(source: DataSourceOut): { label: string; tone: Tone } {
  switch (source.status) {
    case 'active':
    case 'ok':
      return { label: source.kind === 'database' ? 'Reachable' : 'Connected', tone: 'success' };
    case 'error':
      return { label: 'Error', tone: 'danger' };
    case 'pending':
    case 'queued':
    case 'running':
      return { label: 'Syncing', tone: 'warning' };
    case 'disconnected':
      return { label: 'Disconnected', tone: 'neutral' };
    case 'empty':
      return { label: 'No files yet', tone: 'neutral' };
    default:
      return { label: source.status.charAt(0).toUpperCase() + source.status.slice(1), tone: 'neutral' };
  }
}

/** "Orders", "Order items" — a business table's name as a heading. */
export function entityLabel(entity: string): string {
  const words = streamLabel(entity);
  return words.charAt(0).toUpperCase() + words.slice(1);
}
