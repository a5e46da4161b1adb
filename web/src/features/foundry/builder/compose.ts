import type { Compare, Filter, SemanticQuery, TimeRange, WidgetIn } from '../types';

/** The dashboard-wide settings a widget's query runs under. */
export interface DashboardSettings {
  date_range: TimeRange;
  filters: Filter[];
  compare: Compare | null;
}

const COMPARED = new Set(['kpi', 'line', 'bar']);

/**
 * The query the server runs for a widget on its dashboard (as service.widget_query does): the
 * widget's own period or the dashboard's, both sets of filters, and the comparison for KPI cards,
 * lines and bars without a period of their own.
 */
export function composeQuery(widget: Pick<WidgetIn, 'type' | 'query'>, settings: DashboardSettings): SemanticQuery {
  const own = widget.query.time_range ?? null;
  return {
    metrics: widget.query.metrics,
    dimensions: widget.query.dimensions ?? [],
    filters: [...settings.filters, ...(widget.query.filters ?? [])],
    time_range: own ?? settings.date_range,
    compare: COMPARED.has(widget.type) && !own ? settings.compare : null,
    order_by: widget.query.order_by ?? [],
    limit: widget.query.limit ?? 500,
  };
}
