/**
 * Mini Foundry API shapes, mirroring src/binelek/foundry/schemas.py (hand-written until the
 * endpoints are in the generated schema).
 */

export type TimePreset =
  | 'today'
  | 'yesterday'
  | 'last_7_days'
  | 'last_30_days'
  | 'last_90_days'
  | 'this_week'
  | 'last_week'
  | 'this_month'
  | 'last_month'
  | 'this_quarter'
  | 'last_quarter'
  | 'this_year'
  | 'last_year'
  | 'year_to_date'
  | 'last_12_months'
  | 'all_time';
export type Compare = 'previous_period' | 'previous_year';
export type FilterOp = 'eq' | 'neq' | 'in' | 'not_in' | 'contains' | 'gt' | 'gte' | 'lt' | 'lte';
export type ColumnType = 'time' | 'string' | 'integer' | 'number' | 'money' | 'percent';
export type WidgetType = 'kpi' | 'line' | 'bar' | 'stacked_bar' | 'pie' | 'table' | 'map';
export type MetricFormat = 'number' | 'integer' | 'money' | 'percent';
export type Scalar = string | number | boolean;
/** A cell of a result row: dates are ISO strings, numbers are numbers. */
export type Cell = string | number | boolean | null;

/** A preset, or dates (both inclusive) in the tenant's time zone. */
export interface TimeRange {
  preset?: TimePreset | null;
  start?: string | null;
  end?: string | null;
}

export interface Filter {
  dimension: string;
  op: FilterOp;
  values: Scalar[];
}

export interface OrderBy {
  field: string;
  direction: 'asc' | 'desc';
}

export interface SemanticQuery {
  metrics: string[];
  dimensions?: string[];
  filters?: Filter[];
  time_range?: TimeRange | null;
  compare?: Compare | null;
  order_by?: OrderBy[];
  limit?: number;
}

export interface ColumnOut {
  name: string;
  label: string;
  type: ColumnType;
  kind: 'dimension' | 'metric';
}

export interface RangeOut {
  start: string | null;
  end: string | null;
}

export interface ComparisonOut {
  kind: Compare;
  range: RangeOut;
  rows: Cell[][];
  totals: Record<string, number | null>;
}

export interface QueryResult {
  columns: ColumnOut[];
  rows: Cell[][];
  totals: Record<string, number | null>;
  range: RangeOut;
  comparison?: ComparisonOut | null;
  currency?: string | null;
  truncated?: boolean;
  sql?: string[];
  notes?: string[];
}

export interface DrillDownIn {
  metric: string;
  filters: Filter[];
  time_range?: TimeRange | null;
  offset: number;
  limit: number;
}

export interface DrillDownOut {
  entity: string;
  columns: ColumnOut[];
  rows: Cell[][];
  total: number;
  offset: number;
  limit: number;
}

export interface MetricOut {
  name: string;
  label: string;
  description: string;
  format: MetricFormat;
  entity: string;
  dimensions: string[];
  custom?: boolean;
  snapshot?: boolean;
  higher_is_better?: boolean;
  formula?: string | null;
  id?: string | null;
}

export interface DimensionOut {
  name: string;
  label: string;
  type: ColumnType;
}

export interface MetricCatalogOut {
  metrics: MetricOut[];
  dimensions: DimensionOut[];
  presets: string[];
}

export interface WidgetLayout {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A widget's question; the dashboard supplies the period, its filters and the comparison. */
export interface WidgetQuery {
  metrics: string[];
  dimensions?: string[];
  filters?: Filter[];
  order_by?: OrderBy[];
  limit?: number;
  time_range?: TimeRange | null;
}

export interface WidgetIn {
  id?: string | null;
  title: string;
  type: WidgetType;
  query: WidgetQuery;
  layout: WidgetLayout;
  options?: Record<string, unknown>;
}

export interface WidgetOut extends WidgetIn {
  id: string;
  options: Record<string, unknown>;
}

export interface DashboardIn {
  name: string;
  description?: string | null;
  date_range?: TimeRange;
  filters?: Filter[];
  compare?: Compare | null;
  is_default?: boolean;
  widgets?: WidgetIn[];
}

export interface DashboardCreate extends DashboardIn {
  template?: string | null;
}

export interface DashboardSummaryOut {
  id: string;
  name: string;
  description: string | null;
  is_default: boolean;
  template: string | null;
  widget_count: number;
  updated_at: string;
}

export interface DashboardOut {
  id: string;
  name: string;
  description: string | null;
  date_range: TimeRange;
  filters: Filter[];
  compare: Compare | null;
  is_default: boolean;
  template: string | null;
  widgets: WidgetOut[];
  created_at: string;
  updated_at: string;
}

export interface WidgetDataOut {
  widget_id: string;
  result: QueryResult | null;
  /** A problem document when this widget alone failed. */
  error?: Record<string, unknown> | null;
}

export interface DashboardDataOut {
  dashboard_id: string;
  range: RangeOut;
  widgets: WidgetDataOut[];
  data_version: number;
  computed_at: string;
}

export interface TemplateOut {
  name: string;
  title: string;
  description: string;
  widget_count: number;
}

/** What the viewer chose on top of the dashboard's saved period, comparison and filters. */
export interface ViewOverrides {
  range: TimeRange;
  compare: Compare | null;
  filters: Filter[];
}
