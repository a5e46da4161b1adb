import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { Button, Dialog, Field, Input, Select, Spinner } from '../../components';
import { IconPlus, IconX } from '../../components/Icons';
import { dimensionColumns, formatDimension } from './chartData';
import { COMPARE_LABELS, describeTimeRange, PRESET_LABELS, presetLabel } from './format';
import { useMetricQuery } from './hooks';
import type { Compare, DimensionOut, Filter, MetricCatalogOut, MetricOut, Scalar, SemanticQuery, TimePreset, TimeRange } from './types';

const CUSTOM = 'custom';

interface DateRangePickerProps {
  value: TimeRange;
  onChange: (range: TimeRange) => void;
  presets?: string[];
  label?: string;
}

/** A preset ("Last 30 days") or custom dates, both inclusive. */
export function DateRangePicker({ value, onChange, presets, label = 'Period' }: DateRangePickerProps) {
  const fromId = useId();
  const toId = useId();
  const [custom, setCustom] = useState(!value.preset);
  const [start, setStart] = useState(value.start ?? '');
  const [end, setEnd] = useState(value.end ?? '');
  useEffect(() => {
    setCustom(!value.preset);
    setStart(value.start ?? '');
    setEnd(value.end ?? '');
  }, [value.preset, value.start, value.end]);
  const names = presets && presets.length > 0 ? presets : Object.keys(PRESET_LABELS);
  const invalid = Boolean(start && end && end < start);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    if (start && end && !invalid) onChange({ start, end });
  };

  return (
    <div className="flex flex-wrap items-end gap-2">
      <Field label={label}>
        {(control) => (
          <Select
            {...control}
            className="w-44"
            value={custom ? CUSTOM : (value.preset ?? CUSTOM)}
            onChange={(e) => {
              if (e.target.value === CUSTOM) {
                setCustom(true);
              } else {
                setCustom(false);
                onChange({ preset: e.target.value as TimePreset });
              }
            }}
          >
            {names.map((name) => (
              <option key={name} value={name}>
                {presetLabel(name)}
              </option>
            ))}
            <option value={CUSTOM}>Custom dates…</option>
          </Select>
        )}
      </Field>
      {custom && (
        <form className="flex flex-wrap items-end gap-2" onSubmit={apply} aria-label="Custom dates">
          <div className="space-y-1.5">
            <label htmlFor={fromId} className="block text-sm font-medium text-slate-700">
              From
            </label>
            <Input id={fromId} type="date" value={start} max={end || undefined} onChange={(e) => setStart(e.target.value)} required className="w-40" />
          </div>
          <div className="space-y-1.5">
            <label htmlFor={toId} className="block text-sm font-medium text-slate-700">
              To
            </label>
            <Input id={toId} type="date" value={end} min={start || undefined} onChange={(e) => setEnd(e.target.value)} required aria-invalid={invalid || undefined} className="w-40" />
          </div>
          <Button type="submit" variant="secondary" disabled={!start || !end || invalid}>
            Apply dates
          </Button>
        </form>
      )}
    </div>
  );
}

export function CompareSelect({ value, onChange }: { value: Compare | null; onChange: (compare: Compare | null) => void }) {
  return (
    <Field label="Compare with">
      {(control) => (
        <Select {...control} className="w-44" value={value ?? 'none'} onChange={(e) => onChange(e.target.value === 'none' ? null : (e.target.value as Compare))}>
          <option value="none">No comparison</option>
          <option value="previous_period">Previous period</option>
          <option value="previous_year">Previous year</option>
        </Select>
      )}
    </Field>
  );
}

// The dimensions people filter a whole dashboard by most, first.
const FILTER_ORDER = ['channel', 'country', 'category', 'product', 'customer', 'city', 'status', 'currency'];

export function filterableDimensions(catalog: MetricCatalogOut): DimensionOut[] {
  const rank = (name: string) => {
    const at = FILTER_ORDER.indexOf(name);
    return at === -1 ? FILTER_ORDER.length : at;
  };
  return catalog.dimensions.filter((d) => d.type !== 'time').sort((a, b) => rank(a.name) - rank(b.name));
}

/** A metric that can be broken down by `dimension`, to list its values (revenue and orders first). */
export function metricFor(catalog: MetricCatalogOut, dimension: string): MetricOut | undefined {
  const usable = catalog.metrics.filter((m) => m.dimensions.includes(dimension) && !m.snapshot);
  return usable.find((m) => m.name === 'revenue') ?? usable.find((m) => m.name === 'orders') ?? usable[0] ?? catalog.metrics.find((m) => m.dimensions.includes(dimension));
}

const OP_WORDS: Record<Filter['op'], string> = {
  eq: 'is',
  neq: 'is not',
  in: 'is',
  not_in: 'is not',
  contains: 'contains',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
};

export function describeFilter(filter: Filter, dimensions: DimensionOut[]): string {
  const label = dimensions.find((d) => d.name === filter.dimension)?.label ?? filter.dimension;
  const column = { name: filter.dimension, label, type: 'string' as const, kind: 'dimension' as const };
  const values = filter.values.map((v) => (typeof v === 'boolean' ? String(v) : formatDimension(column, v))).join(', ');
  return `${label} ${OP_WORDS[filter.op]} ${values}`;
}

interface FilterBarProps {
  filters: Filter[];
  onChange: (filters: Filter[]) => void;
  catalog: MetricCatalogOut;
  /** The period the value suggestions are taken from. */
  range: TimeRange;
}

/** The filters in force as removable chips, and a dialog to add one with suggested values. */
export function FilterBar({ filters, onChange, catalog, range }: FilterBarProps) {
  const [adding, setAdding] = useState(false);
  return (
    <div className="flex flex-wrap items-center gap-2" role="group" aria-label="Filters">
      {filters.map((filter, i) => {
        const text = describeFilter(filter, catalog.dimensions);
        return (
          <span key={`${filter.dimension}:${i}`} className="inline-flex items-center gap-1 rounded-full bg-brand-50 py-1 pl-3 pr-1 text-xs font-medium text-brand-700 ring-1 ring-brand-100">
            {text}
            <button
              type="button"
              className="rounded-full p-0.5 hover:bg-brand-100"
              aria-label={`Remove filter ${text}`}
              onClick={() => onChange(filters.filter((_, j) => j !== i))}
            >
              <IconX className="h-3.5 w-3.5" />
            </button>
          </span>
        );
      })}
      <Button variant="ghost" size="sm" icon={<IconPlus className="h-3.5 w-3.5" />} onClick={() => setAdding(true)}>
        Add filter
      </Button>
      {adding && (
        <AddFilterDialog
          catalog={catalog}
          range={range}
          onClose={() => setAdding(false)}
          onAdd={(filter) => {
            onChange([...filters.filter((f) => f.dimension !== filter.dimension), filter]);
            setAdding(false);
          }}
        />
      )}
    </div>
  );
}

const SUGGESTIONS = 50;

/** The dimension's most frequent values in the period (a breakdown query), to pick from. */
export function useValueSuggestions(catalog: MetricCatalogOut, dimension: string, range: TimeRange | null) {
  const query = useMemo<SemanticQuery | null>(() => {
    const metric = metricFor(catalog, dimension);
    if (!dimension || !metric) return null;
    return {
      metrics: [metric.name],
      dimensions: [dimension],
      time_range: range,
      order_by: [{ field: metric.name, direction: 'desc' }],
      limit: SUGGESTIONS,
    };
  }, [catalog, dimension, range]);
  const result = useMetricQuery(query);
  const values = useMemo(() => {
    const dim = result.data ? dimensionColumns(result.data)[0] : undefined;
    if (!result.data || !dim) return [];
    return result.data.rows.flatMap((row) => {
      const value = row[dim.index];
      return typeof value === 'string' || typeof value === 'number' ? [{ value, label: formatDimension(dim.column, value) }] : [];
    });
  }, [result.data]);
  return { values, isLoading: query !== null && result.isPending, error: result.error };
}

interface AddFilterDialogProps {
  catalog: MetricCatalogOut;
  range: TimeRange;
  onClose: () => void;
  onAdd: (filter: Filter) => void;
}

function AddFilterDialog({ catalog, range, onClose, onAdd }: AddFilterDialogProps) {
  const dimensions = filterableDimensions(catalog);
  const [dimension, setDimension] = useState(dimensions[0]?.name ?? '');
  const [exclude, setExclude] = useState(false);
  const [chosen, setChosen] = useState<Scalar[]>([]);
  const [typed, setTyped] = useState('');
  const suggestions = useValueSuggestions(catalog, dimension, range);
  const typedValues = typed
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const values = [...chosen, ...typedValues.filter((v) => !chosen.includes(v))];

  const toggle = (value: Scalar) => setChosen((current) => (current.includes(value) ? current.filter((v) => v !== value) : [...current, value]));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (values.length === 0) return;
    onAdd({ dimension, op: exclude ? 'not_in' : 'in', values });
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title="Add a filter"
      description={`Values are suggested from ${describeTimeRange(range).toLowerCase()}.`}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="add-filter-form" disabled={values.length === 0}>
            Apply filter
          </Button>
        </>
      }
    >
      <form id="add-filter-form" className="space-y-4" onSubmit={submit}>
        <div className="grid grid-cols-2 gap-3">
          <Field label="Dimension">
            {(control) => (
              <Select
                {...control}
                value={dimension}
                onChange={(e) => {
                  setDimension(e.target.value);
                  setChosen([]);
                }}
              >
                {dimensions.map((d) => (
                  <option key={d.name} value={d.name}>
                    {d.label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Match">
            {(control) => (
              <Select {...control} value={exclude ? 'exclude' : 'include'} onChange={(e) => setExclude(e.target.value === 'exclude')}>
                <option value="include">Is one of</option>
                <option value="exclude">Is none of</option>
              </Select>
            )}
          </Field>
        </div>
        <fieldset>
          <legend className="text-sm font-medium text-slate-700">Values</legend>
          {suggestions.isLoading ? (
            <Spinner size="sm" label="Loading values" className="mt-2" />
          ) : suggestions.values.length === 0 ? (
            <p className="mt-1 text-sm text-slate-500">No values in this period; type them below.</p>
          ) : (
            <ul className="mt-2 grid max-h-56 grid-cols-2 gap-x-4 gap-y-1 overflow-auto">
              {suggestions.values.map(({ value, label }) => (
                <li key={String(value)}>
                  <label className="flex items-center gap-2 text-sm text-slate-700">
                    <input type="checkbox" className="h-4 w-4 accent-brand-600" checked={chosen.includes(value)} onChange={() => toggle(value)} />
                    <span className="truncate">{label}</span>
                  </label>
                </li>
              ))}
            </ul>
          )}
        </fieldset>
        <Field label="Other values" hint="Separate several with commas.">
          {(control) => <Input {...control} value={typed} onChange={(e) => setTyped(e.target.value)} />}
        </Field>
      </form>
    </Dialog>
  );
}

export function comparisonLabel(compare: Compare | null): string {
  return compare ? `vs ${COMPARE_LABELS[compare]}` : 'No comparison';
}
