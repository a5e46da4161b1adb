import { useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useNavigate } from 'react-router';
import ReactGridLayout, { useContainerWidth, verticalCompactor, type Layout } from 'react-grid-layout';
import 'react-grid-layout/css/styles.css';
import { Button, Card, Checkbox, EmptyState, Field, Input, ProblemAlert, QueryView } from '../../../components';
import { IconChart, IconPlus, IconX } from '../../../components/Icons';
import { CompareSelect, DateRangePicker, FilterBar } from '../DashboardControls';
import { bottomOf, byPosition, GRID_COLUMNS, GRID_GAP, NEW_WIDGET_SIZE, ROW_HEIGHT } from '../grid';
import { useCatalog, useDashboard, useDashboardData, useMetricQuery, useSaveDashboard } from '../hooks';
import type { DashboardIn, DashboardOut, MetricCatalogOut, MetricOut, WidgetDataOut, WidgetIn, WidgetLayout } from '../types';
import type { WidgetContext } from '../widgets/context';
import { WidgetCard } from '../widgets/WidgetCard';
import { composeQuery, type DashboardSettings } from './compose';
import { WidgetEditor, type WidgetDraft } from './WidgetEditor';

/** A widget on the builder's grid: `key` is its id, or a temporary one until it is saved. */
interface PlacedWidget extends WidgetIn {
  key: string;
}

const MIN_W = 2;
const TILE_BUTTON = 'rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-700 focus-visible:outline-2 focus-visible:outline-brand-600';
const MIN_H = 2;

/** /foundry/dashboards/:id/edit — move and resize widgets, add, change and remove them, then save. */
export function DashboardBuilder({ dashboardId }: { dashboardId: string }) {
  const dashboard = useDashboard(dashboardId);
  const catalog = useCatalog();
  return (
    <QueryView query={dashboard} loadingLabel="Loading the dashboard" errorTitle="Could not load the dashboard">
      {(loaded) => (
        <QueryView query={catalog} loadingLabel="Loading metrics" errorTitle="Could not load the metrics">
          {(metrics) => <Builder dashboard={loaded} catalog={metrics} />}
        </QueryView>
      )}
    </QueryView>
  );
}

function sameQuery(a: WidgetIn, b: WidgetIn): boolean {
  return a.type === b.type && JSON.stringify(a.query) === JSON.stringify(b.query) && JSON.stringify(a.options ?? {}) === JSON.stringify(b.options ?? {});
}

function sameLayout(a: WidgetLayout, b: WidgetLayout): boolean {
  return a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

function Builder({ dashboard, catalog }: { dashboard: DashboardOut; catalog: MetricCatalogOut }) {
  const navigate = useNavigate();
  const [name, setName] = useState(dashboard.name);
  const [description, setDescription] = useState(dashboard.description ?? '');
  const [isDefault, setIsDefault] = useState(dashboard.is_default);
  const [settings, setSettings] = useState<DashboardSettings>({ date_range: dashboard.date_range, filters: dashboard.filters, compare: dashboard.compare });
  const [widgets, setWidgets] = useState<PlacedWidget[]>(() => byPosition(dashboard.widgets).map((w) => ({ ...w, key: w.id })));
  const [editing, setEditing] = useState<PlacedWidget | 'new' | null>(null);
  const nextKey = useRef(0);
  const saved = useMemo(() => new Map(dashboard.widgets.map((w) => [w.id, w])), [dashboard.widgets]);
  const settingsChanged =
    JSON.stringify(settings) !== JSON.stringify({ date_range: dashboard.date_range, filters: dashboard.filters, compare: dashboard.compare });
  // The saved widgets' numbers, while the period and filters are the saved ones.
  const savedData = useDashboardData(dashboard.id, null);
  const save = useSaveDashboard(dashboard.id, () => navigate(`/foundry/dashboards/${dashboard.id}`));
  const { width, containerRef, mounted } = useContainerWidth();
  const metrics = useMemo(() => new Map<string, MetricOut>(catalog.metrics.map((m) => [m.name, m])), [catalog.metrics]);
  const context: WidgetContext = { filters: settings.filters, metrics };

  const layout: Layout = widgets.map((w) => ({ i: w.key, ...w.layout, minW: MIN_W, minH: MIN_H }));
  const applyLayout = (next: Layout) =>
    setWidgets((current) => {
      let changed = false;
      const updated = current.map((w) => {
        const item = next.find((l) => l.i === w.key);
        if (!item) return w;
        const place = { x: item.x, y: item.y, w: item.w, h: item.h };
        if (sameLayout(place, w.layout)) return w;
        changed = true;
        return { ...w, layout: place };
      });
      return changed ? updated : current;
    });

  const addWidget = (draft: WidgetDraft) => {
    const size = NEW_WIDGET_SIZE[draft.type] ?? { w: 6, h: 8 };
    nextKey.current += 1;
    setWidgets((current) => [...current, { ...draft, id: null, key: `new-${nextKey.current}`, layout: { x: 0, y: bottomOf(current), ...size } }]);
  };
  const changeWidget = (key: string, draft: WidgetDraft) => setWidgets((current) => current.map((w) => (w.key === key ? { ...w, ...draft } : w)));
  const removeWidget = (key: string) => setWidgets((current) => current.filter((w) => w.key !== key));

  /** Arrow keys move the focused widget's handle one cell; with Shift they resize it. */
  const nudge = (key: string) => (event: KeyboardEvent) => {
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    setWidgets((current) =>
      current.map((w) => {
        if (w.key !== key) return w;
        const { x, y, w: width_, h } = w.layout;
        if (event.shiftKey) {
          const nextW = Math.min(GRID_COLUMNS - x, Math.max(MIN_W, width_ + move[0]));
          return { ...w, layout: { x, y, w: nextW, h: Math.max(MIN_H, h + move[1]) } };
        }
        return { ...w, layout: { x: Math.min(GRID_COLUMNS - width_, Math.max(0, x + move[0])), y: Math.max(0, y + move[1]), w: width_, h } };
      }),
    );
  };

  const body = (): DashboardIn => ({
    name: name.trim() || dashboard.name,
    description: description.trim() || null,
    date_range: settings.date_range,
    filters: settings.filters,
    compare: settings.compare,
    is_default: isDefault,
    widgets: byPosition(widgets).map(({ id, title, type, query, layout: place, options }) => ({ id: id ?? null, title, type, query, layout: place, options: options ?? {} })),
  });

  const dataFor = (widget: PlacedWidget): WidgetDataOut | undefined => {
    if (!widget.id || settingsChanged) return undefined;
    const original = saved.get(widget.id);
    if (!original || !sameQuery(original, widget)) return undefined;
    return savedData.data?.widgets.find((d) => d.widget_id === widget.id);
  };

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Edit {dashboard.name}</h1>
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" icon={<IconPlus className="h-4 w-4" />} onClick={() => setEditing('new')}>
            Add widget
          </Button>
          <Button variant="ghost" onClick={() => navigate(`/foundry/dashboards/${dashboard.id}`)}>
            Cancel
          </Button>
          <Button loading={save.isPending} onClick={() => save.mutate(body())}>
            Save dashboard
          </Button>
        </div>
      </div>
      {save.error && <ProblemAlert error={save.error} title="Could not save the dashboard" />}

      <Card padded={false}>
        <div className="grid gap-4 px-4 py-4 md:grid-cols-2">
          <Field label="Dashboard name">{(control) => <Input {...control} value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />}</Field>
          <Field label="Description">{(control) => <Input {...control} value={description} maxLength={1000} onChange={(e) => setDescription(e.target.value)} />}</Field>
        </div>
        <div className="flex flex-wrap items-end gap-4 border-t border-slate-100 px-4 py-3">
          <DateRangePicker label="Default period" value={settings.date_range} presets={catalog.presets} onChange={(date_range) => setSettings((s) => ({ ...s, date_range }))} />
          <CompareSelect value={settings.compare} onChange={(compare) => setSettings((s) => ({ ...s, compare }))} />
          <Checkbox className="pb-2" label="Open this dashboard first" checked={isDefault} onChange={(e) => setIsDefault(e.target.checked)} />
        </div>
        <div className="border-t border-slate-100 px-4 py-2">
          <p className="mb-1 text-xs font-medium text-slate-500">Filters for every widget</p>
          <FilterBar filters={settings.filters} onChange={(filters) => setSettings((s) => ({ ...s, filters }))} catalog={catalog} range={settings.date_range} />
        </div>
      </Card>

      <p className="text-xs text-slate-500">Drag a widget by its handle to move it and by its corner to resize it; or focus the handle and use the arrow keys (with Shift to resize).</p>
      <div ref={containerRef} className="-mx-3 [&_.react-grid-placeholder]:rounded-xl [&_.react-grid-placeholder]:bg-brand-500!" data-testid="builder-grid">
        {widgets.length === 0 ? (
          <EmptyState
            className="mx-3"
            icon={<IconChart className="h-6 w-6" />}
            title="No widgets yet"
            description="Add a KPI card, a chart, a table or a map."
            action={
              <Button icon={<IconPlus className="h-4 w-4" />} onClick={() => setEditing('new')}>
                Add widget
              </Button>
            }
          />
        ) : (
          mounted && (
            <ReactGridLayout
              width={width}
              layout={layout}
              gridConfig={{ cols: GRID_COLUMNS, rowHeight: ROW_HEIGHT, margin: [GRID_GAP, GRID_GAP], containerPadding: [GRID_GAP, 0] }}
              dragConfig={{ enabled: true, handle: '.widget-drag-handle' }}
              resizeConfig={{ enabled: true, handles: ['se'] }}
              compactor={verticalCompactor}
              onLayoutChange={applyLayout}
            >
              {widgets.map((widget) => (
                <div key={widget.key} data-widget-key={widget.key} data-layout={`${widget.layout.x},${widget.layout.y},${widget.layout.w},${widget.layout.h}`}>
                  <BuilderTile
                    widget={widget}
                    saved={dataFor(widget)}
                    settings={settings}
                    context={context}
                    onKeyDown={nudge(widget.key)}
                    onEdit={() => setEditing(widget)}
                    onRemove={() => removeWidget(widget.key)}
                  />
                </div>
              ))}
            </ReactGridLayout>
          )
        )}
      </div>

      {editing && (
        <WidgetEditor
          initial={editing === 'new' ? null : editing}
          catalog={catalog}
          settings={settings}
          onClose={() => setEditing(null)}
          onSave={(draft) => {
            if (editing === 'new') addWidget(draft);
            else changeWidget(editing.key, draft);
            setEditing(null);
          }}
        />
      )}
    </div>
  );
}

interface BuilderTileProps {
  widget: PlacedWidget;
  /** The saved result, when the widget and the settings are unchanged. */
  saved: WidgetDataOut | undefined;
  settings: DashboardSettings;
  context: WidgetContext;
  onKeyDown: (event: KeyboardEvent) => void;
  onEdit: () => void;
  onRemove: () => void;
}

/** A widget in the builder: its data (saved, or a preview of the change) and its move/edit/remove controls. */
function BuilderTile({ widget, saved, settings, context, onKeyDown, onEdit, onRemove }: BuilderTileProps) {
  const preview = useMetricQuery(saved ? null : composeQuery(widget, settings));
  const data = saved ?? (preview.data ? { result: preview.data } : undefined);
  const controls = (
    <div className="flex shrink-0 items-center gap-0.5">
      <button
        type="button"
        className={`widget-drag-handle cursor-move ${TILE_BUTTON}`}
        aria-label={`Move ${widget.title}`}
        title="Drag to move; arrow keys move, Shift+arrows resize"
        onKeyDown={onKeyDown}
      >
        <span aria-hidden="true" className="block h-4 w-4 text-center leading-4">⠿</span>
      </button>
      <button type="button" className={TILE_BUTTON} aria-label={`Edit ${widget.title}`} title="Edit" onClick={onEdit}>
        <svg viewBox="0 0 24 24" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
          <path d="M4 20h4L19 9l-4-4L4 16v4Z" />
          <path d="m13.5 6.5 4 4" />
        </svg>
      </button>
      <button type="button" className={`${TILE_BUTTON} hover:text-red-700`} aria-label={`Remove ${widget.title}`} title="Remove" onClick={onRemove}>
        <IconX className="h-4 w-4" />
      </button>
    </div>
  );
  return <WidgetCard widget={widget} data={data} error={saved ? null : preview.error} context={context} controls={controls} className="ring-brand-100" />;
}
