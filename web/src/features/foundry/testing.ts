/** Fixtures and msw handlers shared by the Mini Foundry dashboard tests. */
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { me, organization } from '../../test/fixtures';
import { server, tokens } from '../../test/server';
import type { DashboardDataOut, DashboardOut, DashboardSummaryOut, MetricCatalogOut, QueryResult, WidgetOut } from './types';

export const FOUNDRY_URL = '*/api/modules/mini-foundry';

const timeDims = ['date.day', 'date.week', 'date.month', 'date.quarter', 'date.year'];

export const catalog: MetricCatalogOut = {
  metrics: [
    {
      name: 'revenue',
      label: 'Revenue',
      description: 'Order totals.',
      format: 'money',
      entity: 'orders',
      dimensions: [...timeDims, 'channel', 'country', 'category', 'product'],
      higher_is_better: true,
    },
    { name: 'orders', label: 'Orders', description: 'Orders.', format: 'integer', entity: 'orders', dimensions: [...timeDims, 'channel', 'country', 'category', 'product'] },
    { name: 'units_sold', label: 'Units sold', description: 'Units.', format: 'integer', entity: 'order_items', dimensions: [...timeDims, 'category', 'product'] },
    {
      name: 'refunds',
      label: 'Refunds',
      description: 'Refunds.',
      format: 'money',
      entity: 'refunds',
      dimensions: [...timeDims, 'channel', 'country'],
      higher_is_better: false,
    },
  ],
  dimensions: [
    ...timeDims.map((name) => ({ name, label: name.slice(5), type: 'time' as const })),
    { name: 'channel', label: 'Channel', type: 'string' },
    { name: 'country', label: 'Country', type: 'string' },
    { name: 'category', label: 'Category', type: 'string' },
    { name: 'product', label: 'Product', type: 'string' },
  ],
  presets: ['last_7_days', 'last_30_days', 'last_90_days', 'this_month', 'all_time'],
};

const range = { start: '2026-03-01', end: '2026-03-02' };

export const kpiWidget: WidgetOut = {
  id: 'w-kpi',
  title: 'Revenue',
  type: 'kpi',
  query: { metrics: ['revenue'], dimensions: ['date.day'], filters: [], order_by: [], limit: 500, time_range: null },
  layout: { x: 0, y: 0, w: 3, h: 3 },
  options: { sparkline: true },
};
export const refundsWidget: WidgetOut = {
  id: 'w-refunds',
  title: 'Refunds',
  type: 'kpi',
  query: { metrics: ['refunds'], dimensions: [], filters: [], order_by: [], limit: 500, time_range: null },
  layout: { x: 3, y: 0, w: 3, h: 3 },
  options: {},
};
export const lineWidget: WidgetOut = {
  id: 'w-line',
  title: 'Revenue by day',
  type: 'line',
  query: { metrics: ['revenue'], dimensions: ['date.day'], filters: [], order_by: [], limit: 500, time_range: null },
  layout: { x: 0, y: 3, w: 8, h: 8 },
  options: {},
};
export const tableWidget: WidgetOut = {
  id: 'w-table',
  title: 'Top products',
  type: 'table',
  query: { metrics: ['revenue', 'units_sold'], dimensions: ['product'], filters: [{ dimension: 'channel', op: 'eq', values: ['web'] }], order_by: [{ field: 'revenue', direction: 'desc' }], limit: 10, time_range: null },
  layout: { x: 8, y: 3, w: 4, h: 8 },
  options: {},
};
export const brokenWidget: WidgetOut = {
  id: 'w-broken',
  title: 'Revenue by category',
  type: 'bar',
  query: { metrics: ['revenue'], dimensions: ['category'], filters: [], order_by: [], limit: 500, time_range: null },
  layout: { x: 0, y: 11, w: 6, h: 8 },
  options: {},
};

export const salesOverview: DashboardOut = {
  id: 'd-sales',
  name: 'Sales Overview',
  description: 'Revenue, orders and basket size.',
  date_range: { preset: 'last_30_days' },
  filters: [],
  compare: 'previous_period',
  is_default: true,
  template: 'sales_overview',
  widgets: [kpiWidget, refundsWidget, lineWidget, tableWidget, brokenWidget],
  created_at: '2026-03-01T09:00:00Z',
  updated_at: '2026-03-01T09:00:00Z',
};

export const summaries: DashboardSummaryOut[] = [
  { id: 'd-sales', name: 'Sales Overview', description: 'Revenue, orders and basket size.', is_default: true, template: 'sales_overview', widget_count: 5, updated_at: '2026-03-01T09:00:00Z' },
  { id: 'd-fin', name: 'Financial Health', description: null, is_default: false, template: 'financial_health', widget_count: 0, updated_at: '2026-03-01T09:00:00Z' },
];

const money = (name: string, label: string) => ({ name, label, type: 'money' as const, kind: 'metric' as const });
const day = { name: 'date.day', label: 'Day', type: 'time' as const, kind: 'dimension' as const };

export const kpiResult: QueryResult = {
  columns: [day, money('revenue', 'Revenue')],
  rows: [
    ['2026-03-01', 1200.5],
    ['2026-03-02', 1300],
  ],
  totals: { revenue: 2500.5 },
  range,
  comparison: { kind: 'previous_period', range: { start: '2026-02-27', end: '2026-02-28' }, rows: [['2026-02-27', 900], ['2026-02-28', 1100]], totals: { revenue: 2000 } },
  currency: 'USD',
};

export const refundsResult: QueryResult = {
  columns: [money('refunds', 'Refunds')],
  rows: [[150]],
  totals: { refunds: 150 },
  range,
  comparison: { kind: 'previous_period', range: { start: '2026-02-27', end: '2026-02-28' }, rows: [[100]], totals: { refunds: 100 } },
  currency: 'USD',
};

export const tableResult: QueryResult = {
  columns: [{ name: 'product', label: 'Product', type: 'string', kind: 'dimension' }, money('revenue', 'Revenue'), { name: 'units_sold', label: 'Units sold', type: 'integer', kind: 'metric' }],
  rows: [
    ['Ethiopia Yirgacheffe', 900, 42],
    ['House Espresso', 650.25, 31],
  ],
  totals: { revenue: 1550.25, units_sold: 73 },
  range,
  currency: 'USD',
};

export const dashboardData: DashboardDataOut = {
  dashboard_id: 'd-sales',
  range,
  widgets: [
    { widget_id: 'w-kpi', result: kpiResult },
    { widget_id: 'w-refunds', result: refundsResult },
    { widget_id: 'w-line', result: { ...kpiResult } },
    { widget_id: 'w-table', result: tableResult },
    { widget_id: 'w-broken', result: null, error: { status: 422, code: 'UNSUPPORTED_BREAKDOWN', detail: 'Revenue cannot be broken down by category here.' } },
  ],
  data_version: 3,
  computed_at: '2026-03-03T08:00:00Z',
};

/** Signed in as `role` of Acme, with the shell's and the insights' calls answered. */
export function signedInAs(role: 'admin' | 'member' | 'viewer') {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role } })),
    http.get('*/api/organization', () => HttpResponse.json(organization)),
    http.get(`${FOUNDRY_URL}/insights`, () => HttpResponse.json({ insights: [], computed_at: null })),
    http.get(`${FOUNDRY_URL}/forecast`, ({ request }) => {
      const url = new URL(request.url);
      return HttpResponse.json({
        metric: url.searchParams.get('metric') ?? 'revenue',
        horizon_days: Number(url.searchParams.get('horizon') ?? 30),
        history: [],
        forecast: [],
        method: 'seasonal naive',
        interval: 0.8,
      });
    }),
    http.get(`${FOUNDRY_URL}/metrics`, () => HttpResponse.json(catalog)),
    http.get(`${FOUNDRY_URL}/dashboards`, () => HttpResponse.json(summaries)),
  );
}
