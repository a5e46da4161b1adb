/**
 * Shapes of the insights, segments and forecast endpoints: the generated API types, with the
 * free-form dictionaries (an insight's chart, a forecast's history) typed as the server fills them.
 */
import type { components } from '../../../api/schema';
import type { SemanticQuery, WidgetType } from '../types';

export type InsightKind = 'anomaly' | 'trend' | 'top_mover' | 'segment' | 'forecast';
export type Severity = 'positive' | 'warning' | 'info';

/** How to draw an insight: a chart type and the semantic query behind it (plus hints per kind). */
export interface InsightChart {
  type?: WidgetType;
  query?: SemanticQuery;
  /** Anomalies: the day (and its typical value) or the week that stands out. */
  highlight?: { date?: string; typical?: number; start?: string; end?: string };
  /** Forecast insights: which forecast the chart continues into. */
  forecast?: { metric: string; horizon: number };
  segment?: string;
  [extra: string]: unknown;
}

type Schemas = components['schemas'];

/** The server's free-form `chart` dictionary, with the keys insights.py writes. */
export type InsightOut = Omit<Schemas['InsightOut'], 'chart'> & { chart: InsightChart };
export type InsightsOut = Omit<Schemas['InsightsOut'], 'insights'> & { insights: InsightOut[] };
/** How a finding was reached, in plain words, and the numbers behind it one line each. */
export type InsightExplanationOut = Omit<Schemas['InsightExplanationOut'], 'insight'> & { insight: InsightOut };
export type SegmentOut = Schemas['SegmentOut'];
export type SegmentsOut = Schemas['SegmentsOut'];

export type ForecastMetric = 'revenue' | 'orders';
export const FORECAST_HORIZONS = [30, 60, 90] as const;
export type ForecastHorizon = (typeof FORECAST_HORIZONS)[number];

export type ForecastPoint = Schemas['ForecastPoint'];

/** The forecast, its `history` typed as what forecast.py returns: recent actual days as {date, value}. */
export type ForecastOut = Omit<Schemas['ForecastOut'], 'history'> & { history: { date: string; value: number }[] };
