import type { CSSProperties } from 'react';
import type { QueryParams } from '../api';
import type { DrillTarget } from '../chartData';
import { byPosition, GRID_GAP, heightOf, ROW_HEIGHT } from '../grid';
import type { DashboardDataOut, WidgetOut } from '../types';
import type { WidgetContext } from './context';
import { WidgetCard } from './WidgetCard';

// A widget saved after the data was computed (the next refetch brings it).
const NOT_COMPUTED = { result: null, error: { detail: 'Not computed yet.' } };

interface WidgetGridProps {
  dashboardId: string;
  widgets: WidgetOut[];
  data: DashboardDataOut | undefined;
  context: WidgetContext;
  /** The viewer's period and comparison, for downloads. */
  exportParams: QueryParams;
  onDrill: (widget: WidgetOut, target: DrillTarget, currency: string | null | undefined) => void;
}

/**
 * The saved layout, read-only: a 12-column CSS grid on wide screens (x, y, w, h as grid lines) and one
 * column in reading order on narrow ones.
 */
export function WidgetGrid({ dashboardId, widgets, data, context, exportParams, onDrill }: WidgetGridProps) {
  const byId = new Map(data?.widgets.map((w) => [w.widget_id, w]));
  return (
    <div className="grid grid-cols-1 lg:grid-cols-12 lg:auto-rows-(--row-height)" style={{ gap: GRID_GAP, '--row-height': `${ROW_HEIGHT}px` } as CSSProperties} data-testid="dashboard-grid">
      {byPosition(widgets).map((widget) => {
        const { x, y, w, h } = widget.layout;
        const style = {
          '--col': `${x + 1} / span ${w}`,
          '--row': `${y + 1} / span ${h}`,
          height: heightOf(h),
        } as CSSProperties;
        const entry = byId.get(widget.id);
        return (
          <div key={widget.id} style={style} className="lg:h-auto! lg:[grid-column:var(--col)] lg:[grid-row:var(--row)]" data-widget-id={widget.id} data-layout={`${x},${y},${w},${h}`}>
            <WidgetCard
              widget={widget}
              data={entry ?? (data ? NOT_COMPUTED : undefined)}
              context={context}
              exportFrom={{ dashboardId, widgetId: widget.id, params: exportParams }}
              onDrill={(target) => onDrill(widget, target, entry?.result?.currency)}
            />
          </div>
        );
      })}
    </div>
  );
}
