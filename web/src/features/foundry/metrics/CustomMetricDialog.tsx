import { useId, useRef, useState, type FormEvent } from 'react';
import { fieldErrors } from '../../../api/problem';
import { Button, Dialog, Field, Input, ProblemAlert, Select, SelectField, TextArea, TextField } from '../../../components';
import { IconPlus, IconX } from '../../../components/Icons';
import type { DimensionOut, Filter, MetricCatalogOut, MetricFormat, MetricOut } from '../types';
import type { CustomMetricIn } from './api';
import { baseMeasures, insertName, METRIC_NAME, unknownNames } from './formula';
import { useCreateCustomMetric } from './hooks';

export const FORMAT_LABELS: Record<MetricFormat, string> = {
  number: 'Number',
  integer: 'Whole number',
  money: 'Money',
  percent: 'Percent',
};

const FORMAT_OPTIONS = (Object.keys(FORMAT_LABELS) as MetricFormat[]).map((value) => ({ value, label: FORMAT_LABELS[value] }));

/** A filter row as typed: values are one comma-separated text until sent. */
interface FilterDraft {
  key: number;
  dimension: string;
  values: string;
}

/** "Coffee Beans" → "coffee_beans": a name suggested from the label until the name is typed. */
export function nameFromLabel(label: string): string {
  const slug = label
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .replace(/_+$/, '');
  return slug.slice(0, 64);
}

function filtersOf(drafts: readonly FilterDraft[]): Filter[] {
  return drafts
    .map((draft) => ({ dimension: draft.dimension, values: draft.values.split(',').map((v) => v.trim()).filter(Boolean) }))
    .filter((draft) => draft.dimension && draft.values.length > 0)
    .map(({ dimension, values }) => ({ dimension, op: 'in', values }));
}

interface CustomMetricDialogProps {
  open: boolean;
  onClose: () => void;
  catalog: MetricCatalogOut;
  onCreated: (metric: MetricOut) => void;
}

/** The form for a custom metric: a formula over base measures, optional filters, a format. */
export function CustomMetricDialog({ open, onClose, catalog, onCreated }: CustomMetricDialogProps) {
  const formId = useId();
  const [label, setLabel] = useState('');
  const [typedName, setTypedName] = useState<string | null>(null);
  const [description, setDescription] = useState('');
  const [format, setFormat] = useState<MetricFormat>('number');
  const [formula, setFormula] = useState('');
  const [filters, setFilters] = useState<FilterDraft[]>([]);
  const nextKey = useRef(0);
  // The formula box, for the cursor (the shared TextArea takes no ref).
  const formulaWrapper = useRef<HTMLDivElement>(null);
  const create = useCreateCustomMetric((metric) => {
    onCreated(metric);
    close();
  });

  const name = typedName ?? nameFromLabel(label);
  const measures = baseMeasures(catalog.metrics);
  const unknown = unknownNames(formula, measures);
  // Filters apply to the rows behind the measures: categories, not time buckets.
  const dimensions = catalog.dimensions.filter((dimension) => dimension.type !== 'time');
  const serverErrors = fieldErrors(create.error);
  const nameError = name && !METRIC_NAME.test(name) ? 'Start with a lowercase letter; then lowercase letters, digits or _.' : serverErrors.name;
  const ready = label.trim() !== '' && name.length >= 2 && METRIC_NAME.test(name) && formula.trim() !== '';

  function close() {
    setLabel('');
    setTypedName(null);
    setDescription('');
    setFormat('number');
    setFormula('');
    setFilters([]);
    create.reset();
    onClose();
  }

  const insertMeasure = (measure: string) => {
    const box = formulaWrapper.current?.querySelector('textarea') ?? null;
    const start = box?.selectionStart ?? formula.length;
    const end = box?.selectionEnd ?? start;
    const inserted = insertName(formula, measure, start, end);
    setFormula(inserted.text);
    // Put the cursor after the name once React has written the new text.
    requestAnimationFrame(() => {
      box?.focus();
      box?.setSelectionRange(inserted.caret, inserted.caret);
    });
  };

  const addFilter = () => {
    nextKey.current += 1;
    setFilters([...filters, { key: nextKey.current, dimension: dimensions[0]?.name ?? '', values: '' }]);
  };
  const changeFilter = (key: number, change: Partial<FilterDraft>) =>
    setFilters(filters.map((draft) => (draft.key === key ? { ...draft, ...change } : draft)));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    const body: CustomMetricIn = {
      name,
      label: label.trim(),
      description: description.trim() || null,
      format,
      formula: formula.trim(),
      filters: filtersOf(filters),
    };
    create.mutate(body);
  };

  return (
    <Dialog
      open={open}
      onClose={close}
      size="lg"
      title="New custom metric"
      description="A formula over the base measures, shown with the built-in metrics in every dashboard and question."
      footer={
        <>
          <Button variant="secondary" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" form={formId} loading={create.isPending} disabled={!ready}>
            Create metric
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} className="max-h-[65vh] space-y-4 overflow-y-auto pr-1" noValidate>
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField label="Label" value={label} onChange={(e) => setLabel(e.target.value)} maxLength={200} error={serverErrors.label} required />
          <TextField
            label="Name"
            value={name}
            onChange={(e) => setTypedName(e.target.value)}
            maxLength={64}
            error={nameError}
            hint="How formulas and the API refer to it, e.g. net_sales."
            className="font-mono"
            spellCheck={false}
            autoComplete="off"
            required
          />
        </div>
        <Field label="Description" error={serverErrors.description}>
          {(control) => <TextArea {...control} rows={2} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <SelectField
          label="Format"
          value={format}
          onChange={(e) => setFormat(e.target.value as MetricFormat)}
          options={FORMAT_OPTIONS}
          fieldClassName="sm:w-1/2"
        />
        <Field
          label="Formula"
          error={serverErrors.formula}
          hint={
            unknown.length > 0
              ? `Not a base measure: ${unknown.join(', ')}.`
              : 'Measures with + − * / and parentheses, e.g. (order_total - refund_total) / order_count.'
          }
        >
          {(control) => (
            <div ref={formulaWrapper}>
              <TextArea
                {...control}
                rows={2}
                maxLength={1000}
                value={formula}
                onChange={(e) => setFormula(e.target.value)}
                className="font-mono"
                spellCheck={false}
                required
              />
            </div>
          )}
        </Field>
        <MeasureChips measures={measures} onPick={insertMeasure} />
        <FilterRows
          filters={filters}
          dimensions={dimensions}
          onAdd={addFilter}
          onChange={changeFilter}
          onRemove={(key) => setFilters(filters.filter((draft) => draft.key !== key))}
        />
        {create.isError && <ProblemAlert error={create.error} title="The server did not accept this metric" />}
      </form>
    </Dialog>
  );
}

/** The base measures as buttons that put their name into the formula at the cursor. */
function MeasureChips({ measures, onPick }: { measures: string[]; onPick: (measure: string) => void }) {
  const headingId = useId();
  return (
    <div className="space-y-1.5">
      <p id={headingId} className="text-xs font-medium text-slate-600">
        Base measures (click to insert)
      </p>
      <ul aria-labelledby={headingId} className="flex flex-wrap gap-1.5">
        {measures.map((measure) => (
          <li key={measure}>
            <button
              type="button"
              onClick={() => onPick(measure)}
              className="rounded-full bg-slate-100 px-2.5 py-0.5 font-mono text-xs text-slate-700 ring-1 ring-inset ring-slate-200 hover:bg-brand-50 hover:text-brand-700 hover:ring-brand-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600"
            >
              {measure}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

interface FilterRowsProps {
  filters: FilterDraft[];
  dimensions: DimensionOut[];
  onAdd: () => void;
  onChange: (key: number, change: Partial<FilterDraft>) => void;
  onRemove: (key: number) => void;
}

/** Optional filters: only the rows whose dimension holds one of the values count. */
function FilterRows({ filters, dimensions, onAdd, onChange, onRemove }: FilterRowsProps) {
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-slate-700">Filters</legend>
      {filters.length === 0 && <p className="text-xs text-slate-500">Counts every row unless you add a filter, e.g. channel is web.</p>}
      {filters.map((draft, i) => (
        <div key={draft.key} className="flex flex-wrap items-center gap-2">
          <label className="sr-only" htmlFor={`filter-dimension-${draft.key}`}>
            Filter {i + 1} dimension
          </label>
          <Select
            id={`filter-dimension-${draft.key}`}
            className="w-auto! min-w-36"
            value={draft.dimension}
            onChange={(e) => onChange(draft.key, { dimension: e.target.value })}
          >
            {dimensions.map((dimension) => (
              <option key={dimension.name} value={dimension.name}>
                {dimension.label}
              </option>
            ))}
          </Select>
          <span className="text-sm text-slate-500">is one of</span>
          <label className="sr-only" htmlFor={`filter-values-${draft.key}`}>
            Filter {i + 1} values
          </label>
          <Input
            id={`filter-values-${draft.key}`}
            className="min-w-0 flex-1"
            placeholder="web, wholesale"
            value={draft.values}
            onChange={(e) => onChange(draft.key, { values: e.target.value })}
          />
          <Button variant="ghost" size="sm" aria-label={`Remove filter ${i + 1}`} onClick={() => onRemove(draft.key)}>
            <IconX className="h-4 w-4" />
          </Button>
        </div>
      ))}
      <Button variant="secondary" size="sm" icon={<IconPlus className="h-3.5 w-3.5" />} onClick={onAdd} disabled={dimensions.length === 0}>
        Add filter
      </Button>
    </fieldset>
  );
}
