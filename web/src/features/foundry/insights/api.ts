import { api, unwrap } from '../../../api/client';
import type { ForecastMetric, ForecastOut, InsightExplanationOut, InsightKind, InsightsOut, SegmentsOut } from './types';

export const INSIGHTS_LIMIT = 50;
const BASE = '/api/modules/mini-foundry';

// The casts narrow the server's free-form dictionaries (an insight's chart, a forecast's history)
// to the keys it writes (see types.ts); the rest of each shape is the generated one.

export async function listInsights(kind: InsightKind | null, limit = INSIGHTS_LIMIT): Promise<InsightsOut> {
  return (await unwrap(api.GET(`${BASE}/insights`, { params: { query: { kind, limit } } }))) as InsightsOut;
}

/** Recompute the findings now (anomalies, trends, movers, segments, forecast); can take seconds. */
export async function refreshInsights(): Promise<InsightsOut> {
  return (await unwrap(api.POST(`${BASE}/insights/refresh`))) as InsightsOut;
}

export async function dismissInsight(id: string): Promise<void> {
  await unwrap(api.POST(`${BASE}/insights/{insight_id}/dismiss`, { params: { path: { insight_id: id } } }));
}

export async function explainInsight(id: string): Promise<InsightExplanationOut> {
  return (await unwrap(api.GET(`${BASE}/insights/{insight_id}/explanation`, { params: { path: { insight_id: id } } }))) as InsightExplanationOut;
}

export function getSegments(): Promise<SegmentsOut> {
  return unwrap(api.GET(`${BASE}/segments`));
}

export async function getForecast(metric: ForecastMetric, horizon: number): Promise<ForecastOut> {
  return (await unwrap(api.GET(`${BASE}/forecast`, { params: { query: { metric, horizon } } }))) as ForecastOut;
}
