import type { DrillTarget } from '../chartData';
import type { Filter, MetricOut, WidgetOut, WidgetIn } from '../types';

/** What a widget needs beyond its own result: the filters in force and the catalogue's metrics. */
export interface WidgetContext {
  /** The dashboard's (or the viewer's) filters, which apply to every widget. */
  filters: Filter[];
  metrics: Map<string, MetricOut>;
}

export type AnyWidget = WidgetIn | WidgetOut;

/** A click on an aggregate: the widget's own filters are added by whoever opens the drill-down. */
export type DrillHandler = (target: DrillTarget) => void;

export function optionString(options: Record<string, unknown> | undefined, name: string): string | null {
  const value = options?.[name];
  return typeof value === 'string' && value ? value : null;
}

export function optionFlag(options: Record<string, unknown> | undefined, name: string): boolean {
  return options?.[name] === true;
}
