import { Sparkline } from '../../../components/charts';
import { cn } from '../../../lib/cn';
import { kpiModel, rangeToTimeRange } from '../chartData';
import { COMPARE_LABELS, formatChange, formatValue, relativeChange } from '../format';
import { useMetricQuery } from '../hooks';
import type { QueryResult, SemanticQuery } from '../types';
import { optionFlag, optionString, type AnyWidget, type DrillHandler, type WidgetContext } from './context';

interface KpiWidgetProps {
  widget: AnyWidget;
  result: QueryResult;
  context: WidgetContext;
  onDrill?: DrillHandler;
}

/** The sparkline's own query, when the KPI's query has no date dimension but asks for one. */
function sparklineQuery(widget: AnyWidget, result: QueryResult, context: WidgetContext, metric: string): SemanticQuery | null {
  const option = optionString(widget.options, 'sparkline') ?? (optionFlag(widget.options, 'sparkline') ? 'date.day' : null);
  if (!option) return null;
  const timeRange = rangeToTimeRange(result.range);
  if (!timeRange) return null;
  return {
    metrics: [metric],
    dimensions: [option.startsWith('date.') ? option : 'date.day'],
    filters: [...context.filters, ...(widget.query.filters ?? [])],
    time_range: timeRange,
    limit: 1000,
  };
}

export function KpiWidget({ widget, result, context, onDrill }: KpiWidgetProps) {
  const model = kpiModel(result, widget.query.metrics[0]);
  const extraQuery = model && model.trend.length === 0 ? sparklineQuery(widget, result, context, model.metric.name) : null;
  const extra = useMetricQuery(extraQuery);
  if (!model) return <p className="text-sm text-slate-500">No metric to show.</p>;

  const catalogMetric = context.metrics.get(model.metric.name);
  const higherIsBetter = catalogMetric?.higher_is_better ?? true;
  // Nothing then and nothing now is no change; something from nothing has no percentage.
  const change = model.previous === 0 && model.value === 0 ? 0 : relativeChange(model.value, model.previous);
  const good = change !== null && change !== 0 ? change > 0 === higherIsBetter : null;
  const trend = model.trend.length > 0 ? model.trend : extra.data ? (kpiModel(extra.data, model.metric.name)?.trend ?? []) : [];
  const formatted = formatValue(model.value, model.metric.type, { currency: result.currency });
  const comparisonKind = result.comparison?.kind;
  const previousText = model.previous !== null ? formatValue(model.previous, model.metric.type, { currency: result.currency }) : null;

  const body = (
    <>
      <p className="text-2xl font-semibold tracking-tight text-slate-900 tabular-nums" data-testid="kpi-value">
        {formatted}
      </p>
      {comparisonKind && (
        <p className="mt-1 flex items-center gap-x-1.5 whitespace-nowrap text-xs text-slate-500" title={previousText ? `${COMPARE_LABELS[comparisonKind]}: ${previousText}` : undefined}>
          {change !== null ? (
            <span
              className={cn(
                'inline-flex items-center rounded px-1.5 py-0.5 font-medium tabular-nums',
                good === null ? 'bg-slate-100 text-slate-700' : good ? 'bg-emerald-50 text-emerald-700' : 'bg-red-50 text-red-700',
              )}
              aria-label={`${formatChange(change)} vs ${COMPARE_LABELS[comparisonKind]}, ${good === null ? 'unchanged' : good ? 'better' : 'worse'}`}
            >
              <span aria-hidden="true">{change > 0 ? '▲' : change < 0 ? '▼' : '■'}</span>&nbsp;{formatChange(change)}
            </span>
          ) : (
            !previousText && <span className="font-medium text-slate-600">No earlier figure</span>
          )}
          {previousText && <span className="truncate">vs {previousText}</span>}
        </p>
      )}
      {catalogMetric?.snapshot && <p className="mt-1 text-xs text-slate-500">As of now</p>}
    </>
  );

  return (
    <div className="flex h-full min-h-0 flex-col gap-1">
      {onDrill ? (
        <button
          type="button"
          onClick={() => onDrill(model.drill())}
          className="-m-1 shrink-0 rounded-lg p-1 text-left hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-brand-600"
          aria-label={`${widget.title}: ${formatted}. Show the rows behind it`}
        >
          {body}
        </button>
      ) : (
        <div className="shrink-0">{body}</div>
      )}
      {trend.length > 1 && <Sparkline values={trend} comparison={model.trendComparison} className="min-h-5 w-full flex-1" />}
    </div>
  );
}
