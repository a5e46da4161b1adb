/** Test data for the insights, forecast and segments tests, shaped like the server's responses. */
import type { QueryResult } from '../types';
import type { ForecastOut, InsightOut, InsightsOut, SegmentsOut } from './types';

export const anomaly: InsightOut = {
  id: '0b7c4c1e-0000-4000-8000-000000000001',
  kind: 'anomaly',
  title: 'Revenue unusually low on Tuesday',
  sentence: 'Revenue on Tuesday, 4 Mar was $412, 58 % below a typical Tuesday ($980).',
  severity: 'warning',
  score: 82.5,
  numbers: {
    metric: 'revenue',
    window: 'day',
    date: '2025-03-04',
    value: 412,
    typical: 980,
    change: -0.5796,
    z_score: -4.1,
    currency: 'USD',
  },
  chart: {
    type: 'line',
    query: { metrics: ['revenue'], dimensions: ['date.day'], time_range: { start: '2025-01-07', end: '2025-03-04' } },
    highlight: { date: '2025-03-04', typical: 980 },
  },
  computed_at: '2025-03-05T06:00:00Z',
};

export const mover: InsightOut = {
  id: '0b7c4c1e-0000-4000-8000-000000000002',
  kind: 'top_mover',
  title: 'Ethiopia Yirgacheffe up $1,240',
  sentence: 'Ethiopia Yirgacheffe sold $3,100 in the last 30 days, up from $1,860.',
  severity: 'positive',
  score: 44,
  numbers: { dimension: 'product', name: 'Ethiopia Yirgacheffe', value: 3100, previous: 1860, delta: 1240, change: 0.6667, currency: 'USD' },
  chart: {
    type: 'bar',
    query: { metrics: ['revenue'], dimensions: ['product'], time_range: { start: '2025-02-03', end: '2025-03-04' }, limit: 10 },
  },
  computed_at: '2025-03-05T06:00:00Z',
};

export const forecastInsight: InsightOut = {
  id: '0b7c4c1e-0000-4000-8000-000000000003',
  kind: 'forecast',
  title: 'Revenue forecast for the next 30 days',
  sentence: 'Revenue for the next 30 days is forecast at $28,400 (80 % range $25,100–$31,900).',
  severity: 'info',
  score: 30,
  numbers: { metric: 'revenue', horizon_days: 30, value: 28400, lower: 25100, upper: 31900, interval: 0.8, previous: 27000, change: 0.0519, currency: 'USD' },
  chart: { type: 'line', query: { metrics: ['revenue'], dimensions: ['date.day'] }, forecast: { metric: 'revenue', horizon: 30 } },
  computed_at: '2025-03-05T06:00:00Z',
};

export const insightsList: InsightsOut = { insights: [anomaly, mover, forecastInsight], computed_at: '2025-03-05T06:00:00Z' };

function days(first: string, count: number): string[] {
  const start = new Date(`${first}T00:00:00Z`).getTime();
  return Array.from({ length: count }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

export const dailyRevenue: QueryResult = {
  columns: [
    { name: 'date.day', label: 'Day', type: 'time', kind: 'dimension' },
    { name: 'revenue', label: 'Revenue', type: 'money', kind: 'metric' },
  ],
  rows: days('2025-02-26', 7).map((day, i) => [day, i === 6 ? 412 : 950 + i * 10]),
  totals: { revenue: 6562 },
  range: { start: '2025-02-26', end: '2025-03-04' },
  currency: 'USD',
  sql: [],
  notes: [],
};

export const productRevenue: QueryResult = {
  columns: [
    { name: 'product', label: 'Product', type: 'string', kind: 'dimension' },
    { name: 'revenue', label: 'Revenue', type: 'money', kind: 'metric' },
  ],
  rows: [
    ['Ethiopia Yirgacheffe', 3100],
    ['House Espresso', 2800],
  ],
  totals: { revenue: 5900 },
  range: { start: '2025-02-03', end: '2025-03-04' },
  currency: 'USD',
};

export function forecastOf(metric: 'revenue' | 'orders', horizon: number): ForecastOut {
  const history = days('2025-01-04', 60).map((date, i) => ({ date, value: metric === 'revenue' ? 900 + (i % 7) * 20 : 30 + (i % 7) }));
  const ahead = days('2025-03-05', horizon).map((date) => {
    const value = metric === 'revenue' ? 960 : 33;
    return { date, value, lower: value * 0.8, upper: value * 1.2 };
  });
  return { metric, horizon_days: horizon, history, forecast: ahead, method: 'holt_winters_additive', interval: 0.8 };
}

export const segments: SegmentsOut = {
  as_of: '2025-03-04',
  total_customers: 200,
  total_revenue: 120000,
  currency: 'USD',
  segments: [
    {
      segment: 'champions',
      label: 'Champions',
      description: 'Bought recently, buy often and spend the most.',
      customers: 30,
      customer_share: 0.15,
      revenue: 54000,
      revenue_share: 0.45,
      lifetime_revenue: 90000,
      average_recency_days: 6.5,
      average_orders: 14.2,
    },
    {
      segment: 'at_risk',
      label: 'At risk',
      description: 'Used to buy often, but not for a long time.',
      customers: 50,
      customer_share: 0.25,
      revenue: 12000,
      revenue_share: 0.1,
      lifetime_revenue: 40000,
      average_recency_days: 140,
      average_orders: 6,
    },
    {
      segment: 'lost',
      label: 'Lost',
      description: 'The fewest orders, the longest ago.',
      customers: 0,
      customer_share: 0,
      revenue: 0,
      revenue_share: 0,
      lifetime_revenue: 0,
      average_recency_days: null,
      average_orders: null,
    },
  ],
};
