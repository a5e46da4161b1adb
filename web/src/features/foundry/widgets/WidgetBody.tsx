import { CategoryBarChart, CountryMap, DonutChart, TrendLineChart } from '../../../components/charts';
import { cartesianModel, countryValues, formatFor, metricColumns, rangeToTimeRange, sliceModel, type DrillTarget } from '../chartData';
import type { QueryResult } from '../types';
import { optionFlag, type AnyWidget, type DrillHandler, type WidgetContext } from './context';
import { KpiWidget } from './KpiWidget';
import { TableWidget } from './TableWidget';

interface WidgetBodyProps {
  widget: AnyWidget;
  result: QueryResult;
  context: WidgetContext;
  onDrill?: DrillHandler;
}

const HORIZONTAL_FROM = 7;

export function isEmptyResult(result: QueryResult): boolean {
  const noTotals = Object.values(result.totals).every((v) => v === null || v === undefined);
  return result.rows.length === 0 && noTotals;
}

function NoData() {
  return <p className="flex h-full items-center justify-center text-sm text-slate-500">No data for this period.</p>;
}

/** Draws a widget's result as its chart type; clicks on aggregates call `onDrill`. */
export function WidgetBody({ widget, result, context, onDrill }: WidgetBodyProps) {
  if (isEmptyResult(result)) return <NoData />;
  const title = widget.title;
  switch (widget.type) {
    case 'kpi':
      return <KpiWidget widget={widget} result={result} context={context} onDrill={onDrill} />;
    case 'table':
      return <TableWidget title={title} result={result} onDrill={onDrill} />;
    case 'pie': {
      const model = sliceModel(result);
      if (!model) return <NoData />;
      return (
        <DonutChart
          title={title}
          label={model.dimensionLabel}
          valueLabel={model.valueLabel}
          slices={model.slices}
          formatValue={formatFor(model.valueKind, result.currency)}
          onSelect={onDrill ? (i) => drillTo(model.drill(i), onDrill) : undefined}
        />
      );
    }
    case 'map': {
      const values = countryValues(result);
      const metric = metricColumns(result)[0];
      if (!metric || values.length === 0) return <NoData />;
      return (
        <CountryMap
          title={title}
          valueLabel={metric.column.label}
          data={values}
          formatValue={formatFor(metric.column.type, result.currency)}
          onSelect={
            onDrill
              ? (i) => {
                  const entry = values[i];
                  if (!entry) return;
                  onDrill({
                    metric: metric.column.name,
                    filters: [{ dimension: result.columns.find((c) => c.kind === 'dimension')!.name, op: 'eq', values: [entry.country] }],
                    timeRange: rangeToTimeRange(result.range),
                    label: `${metric.column.label} · ${entry.country}`,
                  });
                }
              : undefined
          }
        />
      );
    }
    default: {
      const model = cartesianModel(result, widget.type);
      if (!model) return <NoData />;
      const common = {
        title,
        data: model.data,
        xKey: 'x',
        xLabel: model.xLabel,
        series: model.series,
        formatX: model.formatX,
        formatValue: formatFor(model.valueKind, result.currency),
        formatTick: formatFor(model.valueKind, result.currency, true),
        onSelect: onDrill ? (index: number, seriesKey?: string) => drillTo(model.drill(index, seriesKey), onDrill) : undefined,
      };
      if (widget.type === 'line') return <TrendLineChart {...common} />;
      const categorical = result.columns.find((c) => c.kind === 'dimension')?.type !== 'time';
      const horizontal = optionFlag(widget.options, 'horizontal') || (categorical && model.data.length >= HORIZONTAL_FROM);
      return <CategoryBarChart {...common} horizontal={horizontal} />;
    }
  }
}

function drillTo(target: DrillTarget | null, onDrill: DrillHandler) {
  if (target) onDrill(target);
}
