import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { Button, Checkbox, Dialog, Field, Input, Select } from '../../../components';
import { IconPlus, IconX } from '../../../components/Icons';
import { grainOf, PRESET_LABELS, presetLabel } from '../format';
import { heightOf } from '../grid';
import { useMetricQuery } from '../hooks';
import type { DimensionOut, Filter, FilterOp, MetricCatalogOut, OrderBy, SemanticQuery, TimePreset, WidgetIn, WidgetType } from '../types';
import { WidgetCard } from '../widgets/WidgetCard';
import { composeQuery, type DashboardSettings } from './compose';

export const WIDGET_TYPES: { value: WidgetType; label: string }[] = [
  { value: 'kpi', label: 'KPI card' },
  { value: 'line', label: 'Line chart' },
  { value: 'bar', label: 'Bar chart' },
  { value: 'stacked_bar', label: 'Stacked bar chart' },
  { value: 'pie', label: 'Pie chart' },
  { value: 'table', label: 'Table' },
  { value: 'map', label: 'Map by country' },
];

const SINGLE_METRIC: WidgetType[] = ['kpi', 'pie', 'map'];
const SPLITTABLE: WidgetType[] = ['line', 'bar', 'stacked_bar', 'table'];
const SORTABLE: WidgetType[] = ['bar', 'stacked_bar', 'pie', 'table', 'map'];
const COMPARED: WidgetType[] = ['kpi', 'line', 'bar'];
const PREVIEW_DELAY_MS = 400;
const NONE = '';
const TIME_GRAINS = ['date.day', 'date.week', 'date.month', 'date.quarter', 'date.year'];

/** The widget being edited: everything but its place on the grid. */
export type WidgetDraft = Omit<WidgetIn, 'layout' | 'id'>;

interface FilterRow {
  dimension: string;
  op: FilterOp;
  text: string;
}

const OP_LABELS: { value: FilterOp; label: string }[] = [
  { value: 'in', label: 'is one of' },
  { value: 'not_in', label: 'is none of' },
  { value: 'contains', label: 'contains' },
  { value: 'gt', label: 'is more than' },
  { value: 'gte', label: 'is at least' },
  { value: 'lt', label: 'is less than' },
  { value: 'lte', label: 'is at most' },
];
const NUMERIC_OPS = new Set<FilterOp>(['gt', 'gte', 'lt', 'lte']);

function toRows(filters: Filter[] | undefined): FilterRow[] {
  return (filters ?? []).map((f) => ({
    dimension: f.dimension,
    op: f.op === 'eq' ? 'in' : f.op === 'neq' ? 'not_in' : f.op,
    text: f.values.map(String).join(', '),
  }));
}

function toFilters(rows: FilterRow[]): Filter[] {
  return rows.flatMap((row) => {
    const parts = row.text
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    const values = NUMERIC_OPS.has(row.op) ? parts.map(Number).filter((n) => Number.isFinite(n)) : parts;
    if (!row.dimension || values.length === 0) return [];
    return [{ dimension: row.dimension, op: row.op, values: NUMERIC_OPS.has(row.op) ? values.slice(0, 1) : values }];
  });
}

/** The dimensions every chosen metric can be broken down by. */
function sharedDimensions(catalog: MetricCatalogOut, metrics: string[]): DimensionOut[] {
  const chosen = catalog.metrics.filter((m) => metrics.includes(m.name));
  if (chosen.length === 0) return catalog.dimensions;
  return catalog.dimensions.filter((d) => chosen.every((m) => m.dimensions.includes(d.name)));
}

function firstAvailable(names: string[], available: DimensionOut[]): string | undefined {
  return names.find((n) => available.some((d) => d.name === n)) ?? available.find((d) => d.type !== 'time')?.name;
}

/** Sensible dimensions for a chart type, keeping what still fits. */
function dimensionsFor(type: WidgetType, current: string[], available: DimensionOut[], sparkline: boolean): string[] {
  const [first, second] = current;
  const isTime = (name: string | undefined) => Boolean(name && grainOf(name));
  switch (type) {
    case 'kpi':
      return sparkline ? ['date.day'] : [];
    case 'map':
      return ['country'];
    case 'line':
      return [isTime(first) ? first! : 'date.day', ...(second && !isTime(second) ? [second] : [])];
    case 'pie': {
      const dim = first && !isTime(first) ? first : firstAvailable(['channel', 'category', 'country'], available);
      return dim ? [dim] : [];
    }
    default: {
      if (first) return second ? [first, second] : [first];
      const dim = firstAvailable(['category', 'channel', 'product'], available);
      return dim ? [dim] : [];
    }
  }
}

function suggestTitle(catalog: MetricCatalogOut, metrics: string[], dimensions: string[], type: WidgetType): string {
  const metricLabel = catalog.metrics.find((m) => m.name === metrics[0])?.label ?? 'Metric';
  const dims = dimensions.filter((d) => !(type === 'kpi' && grainOf(d)));
  if (dims.length === 0) return metricLabel;
  const labels = dims.map((d) => {
    const grain = grainOf(d);
    return grain ?? (catalog.dimensions.find((x) => x.name === d)?.label ?? d).toLowerCase();
  });
  return `${metricLabel} by ${labels.join(' and ')}`;
}

function useDebounced<T>(value: T, delay: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return current;
}

interface WidgetEditorProps {
  /** The widget to change, or null for a new one. */
  initial: WidgetDraft | null;
  catalog: MetricCatalogOut;
  settings: DashboardSettings;
  onSave: (widget: WidgetDraft) => void;
  onClose: () => void;
}

/** Add or change a widget: what it shows and how, with a live preview over the dashboard's period. */
export function WidgetEditor({ initial, catalog, settings, onSave, onClose }: WidgetEditorProps) {
  const metricsId = useId();
  const defaultMetric = catalog.metrics.find((m) => m.name === 'revenue')?.name ?? catalog.metrics[0]?.name ?? '';
  const [type, setType] = useState<WidgetType>(initial?.type ?? 'bar');
  const [metrics, setMetrics] = useState<string[]>(initial?.query.metrics ?? [defaultMetric]);
  const [sparkline, setSparkline] = useState(initial ? initial.options?.sparkline === true || (initial.query.dimensions ?? []).some((d) => grainOf(d)) : true);
  const [dimensions, setDimensions] = useState<string[]>(() => initial?.query.dimensions ?? dimensionsFor('bar', [], sharedDimensions(catalog, [defaultMetric]), true));
  const [filterRows, setFilterRows] = useState<FilterRow[]>(() => toRows(initial?.query.filters));
  const [limit, setLimit] = useState(String(initial?.query.limit ?? 500));
  const [orderBy, setOrderBy] = useState<OrderBy | null>(initial?.query.order_by?.[0] ?? null);
  const [ownPeriod, setOwnPeriod] = useState<TimePreset | null>(initial?.query.time_range?.preset ?? null);
  const [title, setTitle] = useState(initial?.title ?? '');
  const [titleTouched, setTitleTouched] = useState(Boolean(initial));
  const available = useMemo(() => sharedDimensions(catalog, metrics), [catalog, metrics]);

  const changeType = (next: WidgetType) => {
    setType(next);
    if (SINGLE_METRIC.includes(next)) setMetrics((m) => m.slice(0, 1));
    setDimensions((current) => dimensionsFor(next, current, available, sparkline));
    if (next === 'kpi') setOrderBy(null);
  };
  const toggleMetric = (name: string) =>
    setMetrics((current) => (current.includes(name) ? current.filter((m) => m !== name) : [...current, name].slice(0, 10)));

  const parsedLimit = Math.min(5000, Math.max(1, Number.parseInt(limit, 10) || 500));
  const draft: WidgetDraft = {
    title: (titleTouched ? title : suggestTitle(catalog, metrics, dimensions, type)).trim(),
    type,
    query: {
      metrics,
      dimensions,
      filters: toFilters(filterRows),
      order_by: orderBy && metrics.includes(orderBy.field) ? [orderBy] : [],
      limit: type === 'kpi' ? 500 : parsedLimit,
      time_range: ownPeriod ? { preset: ownPeriod } : null,
    },
    options: { ...(initial?.options ?? {}), ...(type === 'kpi' ? { sparkline } : {}) },
  };
  const valid = draft.title.length > 0 && metrics.length > 0 && !(type !== 'kpi' && type !== 'table' && type !== 'bar' && dimensions.length === 0);
  // Debounced by its text: a new object each render must not restart the timer.
  const previewText = useDebounced(valid ? JSON.stringify(composeQuery(draft, settings)) : '', PREVIEW_DELAY_MS);
  const previewQuery = useMemo<SemanticQuery | null>(() => (previewText ? (JSON.parse(previewText) as SemanticQuery) : null), [previewText]);
  const preview = useMetricQuery(previewQuery);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (valid) onSave(draft);
  };

  const dimensionOptions = (filter: (d: DimensionOut) => boolean) => available.filter(filter);
  const breakdownOptions =
    type === 'line' ? dimensionOptions((d) => TIME_GRAINS.includes(d.name)) : type === 'pie' ? dimensionOptions((d) => d.type !== 'time') : dimensionOptions(() => true);
  const splitOptions = dimensionOptions((d) => d.type !== 'time' && d.name !== dimensions[0]);
  const setDimension = (at: 0 | 1, name: string) =>
    setDimensions((current) => {
      const next = [...current];
      if (at === 0) {
        next[0] = name;
        return (name ? next : next.slice(1)).filter(Boolean);
      }
      return name ? [next[0] ?? '', name].filter(Boolean) : next.slice(0, 1);
    });

  return (
    <Dialog
      open
      onClose={onClose}
      size="lg"
      title={initial ? 'Edit widget' : 'Add a widget'}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="widget-editor-form" disabled={!valid}>
            {initial ? 'Apply changes' : 'Add to dashboard'}
          </Button>
        </>
      }
    >
      <form id="widget-editor-form" onSubmit={submit} className="grid max-h-[70vh] gap-5 overflow-y-auto pr-1 md:grid-cols-2">
        <div className="space-y-4">
          <Field label="Title">
            {(control) => (
              <Input
                {...control}
                value={titleTouched ? title : draft.title}
                maxLength={200}
                onChange={(e) => {
                  setTitleTouched(true);
                  setTitle(e.target.value);
                }}
              />
            )}
          </Field>
          <Field label="Chart type">
            {(control) => (
              <Select {...control} value={type} onChange={(e) => changeType(e.target.value as WidgetType)}>
                {WIDGET_TYPES.map((t) => (
                  <option key={t.value} value={t.value}>
                    {t.label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          {SINGLE_METRIC.includes(type) ? (
            <Field label="Metric">
              {(control) => (
                <Select {...control} value={metrics[0] ?? ''} onChange={(e) => setMetrics([e.target.value])}>
                  {catalog.metrics.map((m) => (
                    <option key={m.name} value={m.name}>
                      {m.label}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          ) : (
            <fieldset aria-describedby={`${metricsId}-hint`}>
              <legend className="text-sm font-medium text-slate-700">Metrics</legend>
              <p id={`${metricsId}-hint`} className="text-xs text-slate-500">
                {dimensions.length > 1 ? 'Split by a second dimension, the chart shows the first metric.' : 'One or more.'}
              </p>
              <ul className="mt-2 grid max-h-40 grid-cols-2 gap-x-3 gap-y-1 overflow-y-auto rounded-lg p-2 ring-1 ring-slate-200">
                {catalog.metrics.map((m) => (
                  <li key={m.name}>
                    <label className="flex items-center gap-2 text-sm text-slate-700" title={m.description}>
                      <input type="checkbox" className="h-4 w-4 accent-brand-600" checked={metrics.includes(m.name)} onChange={() => toggleMetric(m.name)} />
                      <span className="truncate">{m.label}</span>
                    </label>
                  </li>
                ))}
              </ul>
            </fieldset>
          )}
          {type === 'kpi' && (
            <Checkbox
              label="Show a daily trend line"
              checked={sparkline}
              onChange={(e) => {
                setSparkline(e.target.checked);
                setDimensions(e.target.checked ? ['date.day'] : []);
              }}
            />
          )}
          {type !== 'kpi' && type !== 'map' && (
            <div className="grid grid-cols-2 gap-3">
              <Field label={type === 'line' ? 'Over time by' : 'Breakdown'}>
                {(control) => (
                  <Select {...control} value={dimensions[0] ?? NONE} onChange={(e) => setDimension(0, e.target.value)}>
                    {(type === 'bar' || type === 'table') && <option value={NONE}>None</option>}
                    {breakdownOptions.map((d) => (
                      <option key={d.name} value={d.name}>
                        {d.label}
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
              {SPLITTABLE.includes(type) && dimensions[0] && (
                <Field label={type === 'stacked_bar' ? 'Stack by' : type === 'table' ? 'Then by' : 'Split by'}>
                  {(control) => (
                    <Select {...control} value={dimensions[1] ?? NONE} onChange={(e) => setDimension(1, e.target.value)}>
                      <option value={NONE}>None</option>
                      {splitOptions.map((d) => (
                        <option key={d.name} value={d.name}>
                          {d.label}
                        </option>
                      ))}
                    </Select>
                  )}
                </Field>
              )}
            </div>
          )}
          {type === 'map' && <p className="text-sm text-slate-500">Broken down by the customer’s country.</p>}
          <FilterRows rows={filterRows} onChange={setFilterRows} dimensions={available.filter((d) => d.type !== 'time')} />
          <Field label="Period" hint={COMPARED.includes(type) && ownPeriod ? 'A widget with its own period is not compared.' : undefined}>
            {(control) => (
              <Select {...control} value={ownPeriod ?? NONE} onChange={(e) => setOwnPeriod((e.target.value || null) as TimePreset | null)}>
                <option value={NONE}>The dashboard’s period</option>
                {(catalog.presets.length > 0 ? catalog.presets : Object.keys(PRESET_LABELS)).map((p) => (
                  <option key={p} value={p}>
                    {presetLabel(p)}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          {type !== 'kpi' && (
            <div className="grid grid-cols-[1fr_7rem] gap-3">
              {SORTABLE.includes(type) ? (
                <Field label="Sort">
                  {(control) => (
                    <Select
                      {...control}
                      value={orderBy ? `${orderBy.field}:${orderBy.direction}` : NONE}
                      onChange={(e) => {
                        const [field, direction] = e.target.value.split(':');
                        setOrderBy(field ? { field, direction: direction === 'asc' ? 'asc' : 'desc' } : null);
                      }}
                    >
                      <option value={NONE}>By the breakdown</option>
                      {metrics.flatMap((name) => {
                        const label = catalog.metrics.find((m) => m.name === name)?.label ?? name;
                        return [
                          <option key={`${name}:desc`} value={`${name}:desc`}>{`${label}, largest first`}</option>,
                          <option key={`${name}:asc`} value={`${name}:asc`}>{`${label}, smallest first`}</option>,
                        ];
                      })}
                    </Select>
                  )}
                </Field>
              ) : (
                <div />
              )}
              <Field label="Row limit">
                {(control) => <Input {...control} type="number" min={1} max={5000} value={limit} onChange={(e) => setLimit(e.target.value)} />}
              </Field>
            </div>
          )}
        </div>
        <div className="space-y-2">
          <p className="text-sm font-medium text-slate-700">Preview</p>
          <div style={{ height: heightOf(type === 'kpi' ? 4 : 8) }} aria-live="polite">
            <WidgetCard
              widget={{ ...draft, layout: { x: 0, y: 0, w: 6, h: 8 } }}
              data={!valid ? { result: null, error: { detail: 'Choose a metric and a breakdown to see a preview.' } } : preview.data && previewQuery ? { result: preview.data } : undefined}
              loading={valid && (preview.isFetching || previewQuery === null)}
              error={valid ? preview.error : null}
              context={{ filters: settings.filters, metrics: new Map(catalog.metrics.map((m) => [m.name, m])) }}
              className="bg-slate-50"
            />
          </div>
          <p className="text-xs text-slate-500">Over the dashboard’s period and filters; saved with the dashboard.</p>
        </div>
      </form>
    </Dialog>
  );
}

function FilterRows({ rows, onChange, dimensions }: { rows: FilterRow[]; onChange: (rows: FilterRow[]) => void; dimensions: DimensionOut[] }) {
  const update = (index: number, change: Partial<FilterRow>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-slate-700">Widget filters</legend>
      {rows.length === 0 && <p className="text-xs text-slate-500">None: the dashboard’s filters apply.</p>}
      {rows.map((row, i) => (
        <div key={i} className="flex items-center gap-2" role="group" aria-label={`Filter ${i + 1}`}>
          <Select aria-label="Filter dimension" className="w-32" value={row.dimension} onChange={(e) => update(i, { dimension: e.target.value })}>
            {dimensions.map((d) => (
              <option key={d.name} value={d.name}>
                {d.label}
              </option>
            ))}
          </Select>
          <Select aria-label="Filter condition" className="w-32" value={row.op} onChange={(e) => update(i, { op: e.target.value as FilterOp })}>
            {OP_LABELS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </Select>
          <Input aria-label="Filter values" placeholder="web, wholesale" value={row.text} onChange={(e) => update(i, { text: e.target.value })} />
          <button type="button" className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-700" aria-label={`Remove filter ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            <IconX className="h-4 w-4" />
          </button>
        </div>
      ))}
      <Button
        variant="ghost"
        size="sm"
        icon={<IconPlus className="h-3.5 w-3.5" />}
        disabled={dimensions.length === 0}
        onClick={() => onChange([...rows, { dimension: dimensions[0]?.name ?? '', op: 'in', text: '' }])}
      >
        Add widget filter
      </Button>
    </fieldset>
  );
}
