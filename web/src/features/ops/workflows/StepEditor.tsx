/** The settings of one step: its id, the config form for its type, retries and timeout for steps
 * that reach outside (e-mail, HTTP, AI), what an error does, and the values a template can use. */
import { Checkbox, Field, Input, Select, SelectField, TextField } from '../../../components';
import { IconPlus, IconX } from '../../../components/Icons';
import { ConditionRows } from './ConditionRows';
import { STEP_ID, type DraftStep, type Forms, type RetryDraft } from './definition';
import type { DraftCondition, FieldSpec, FormValue, Pair } from './fields';
import { useWorkflows } from './hooks';
import { stepLabel } from './labels';
import { TemplateInput, TemplateTextArea, VariablesPicker } from './TemplateField';
import { conditionPaths, variableGroups, type Scope } from './variables';

interface StepEditorProps {
  step: DraftStep;
  forms: Forms;
  scope: Scope;
  /** Functional: edits always apply to the newest state. */
  onChange: (change: (step: DraftStep) => DraftStep) => void;
  /** The id a server problem named, to point at. */
  problem?: string | null;
  workflowId: string | null;
}

export function StepEditor({ step, forms, scope, onChange, problem, workflowId }: StepEditorProps) {
  const fields = forms.fields(step.type);
  const external = forms.kind(step.type) === 'external';
  const setValue = (name: string, value: FormValue) => onChange((s) => ({ ...s, config: { ...s.config, [name]: value } }));
  const idError = STEP_ID.test(step.id) ? null : 'Lower-case letters, digits and _, starting with a letter (at most 40).';
  return (
    <section aria-label={`Settings of ${step.id || 'the step'}`} className="space-y-4">
      <div>
        <p className="text-xs font-medium uppercase tracking-wide text-brand-700">{stepLabel(step.type)}</p>
        <h2 className="font-mono text-base font-semibold text-slate-900">{step.id || '(no id)'}</h2>
        {problem && (
          <p role="alert" className="mt-1 text-sm text-red-700">
            {problem}
          </p>
        )}
      </div>
      <div className="grid gap-3 sm:grid-cols-2">
        <TextField
          label="Step id"
          value={step.id}
          error={idError}
          hint="Later steps read its output as steps.<id>."
          className="font-mono"
          onChange={(e) => {
            const id = e.target.value;
            onChange((s) => ({ ...s, id }));
          }}
        />
        <TextField label="Label (optional)" value={step.name} onChange={(e) => {
          const name = e.target.value;
          onChange((s) => ({ ...s, name }));
        }} />
      </div>
      {fields
        // An if/else step's "match" is chosen with its condition rows.
        .filter((field) => !(step.type === 'condition' && field.name === 'match'))
        .map((field) => (
          <ConfigField
            key={field.name}
            field={field}
            value={step.config[field.name]}
            onValue={(value) => setValue(field.name, value)}
            onRows={(change) => onChange((s) => ({ ...s, config: { ...s.config, [field.name]: change(s.config[field.name]) } }))}
            scope={scope}
            match={step.config.match === 'any' ? 'any' : 'all'}
            onMatch={(match) => setValue('match', match)}
            workflowId={workflowId}
          />
        ))}
      {external && <RetryFields step={step} onChange={onChange} />}
      <SelectField
        label="If this step fails"
        value={step.on_error}
        onChange={(e) => {
          const on_error = e.target.value as DraftStep['on_error'];
          onChange((s) => ({ ...s, on_error }));
        }}
        options={[
          { value: 'fail', label: 'Stop the run (it can be retried from this step)' },
          { value: 'continue', label: 'Carry on with the next step' },
        ]}
      />
      <VariablesPicker groups={variableGroups(scope)} />
    </section>
  );
}

interface ConfigFieldProps {
  field: FieldSpec;
  value: FormValue | undefined;
  onValue: (value: FormValue) => void;
  /** A functional update of a structured value (pairs, condition rows) from one of its inputs. */
  onRows: (change: (value: FormValue | undefined) => FormValue) => void;
  scope: Scope;
  match: 'all' | 'any';
  onMatch: (match: 'all' | 'any') => void;
  workflowId: string | null;
}

function ConfigField({ field, value, onValue, onRows, scope, match, onMatch, workflowId }: ConfigFieldProps) {
  const label = field.required ? field.label : `${field.label} (optional)`;
  switch (field.kind) {
    case 'boolean':
      return <Checkbox label={field.label} checked={Boolean(value)} onChange={(e) => onValue(e.target.checked)} description={field.hint} />;
    case 'enum': {
      const current = typeof value === 'string' ? value : '';
      const options = [...(field.options ?? [])];
      if (!options.includes(current)) options.unshift(current);
      return <SelectField label={label} hint={field.hint} value={current} onChange={(e) => onValue(e.target.value)} options={options.map((o) => ({ value: o, label: o ? o.replace(/_/g, ' ') : '—' }))} />;
    }
    case 'conditions':
      return (
        <ConditionRows
          label="Conditions"
          rows={(value as DraftCondition[] | undefined) ?? []}
          onChange={(rows) => onValue(rows)}
          match={match}
          onMatch={onMatch}
          paths={conditionPaths(scope)}
        />
      );
    case 'pairs':
      return <PairsField field={field} label={label} rows={(value as Pair[] | undefined) ?? []} onRows={onRows} />;
    case 'workflow':
      return <WorkflowField label={label} value={typeof value === 'string' ? value : ''} onValue={onValue} workflowId={workflowId} />;
    case 'longtext':
    case 'json':
      return (
        <Field label={label} hint={field.hint}>
          {(control) => <TemplateTextArea {...control} value={typeof value === 'string' ? value : ''} onText={(text) => onValue(text)} placeholder={field.placeholder} rows={field.kind === 'json' ? 5 : 4} />}
        </Field>
      );
    case 'list':
      return (
        <Field label={label} hint={field.hint}>
          {(control) => <Input {...control} value={typeof value === 'string' ? value : ''} onChange={(e) => onValue(e.target.value)} placeholder={field.placeholder} />}
        </Field>
      );
    default:
      return (
        <Field label={label} hint={field.hint}>
          {(control) => (
            <TemplateInput {...control} value={typeof value === 'string' ? value : ''} onText={(text) => onValue(text)} placeholder={field.placeholder} inputMode={field.kind === 'number' ? 'decimal' : undefined} />
          )}
        </Field>
      );
  }
}

function PairsField({ field, label, rows, onRows }: { field: FieldSpec; label: string; rows: Pair[]; onRows: ConfigFieldProps['onRows'] }) {
  const edit = (index: number, change: Partial<Pair>) =>
    onRows((current) => ((current as Pair[] | undefined) ?? []).map((row, i) => (i === index ? { ...row, ...change } : row)));
  const noun = field.name === 'headers' ? 'header' : field.name === 'query' ? 'parameter' : 'field';
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-slate-700">{label}</legend>
      {field.hint && <p className="text-xs text-slate-500">{field.hint}</p>}
      <ol className="space-y-2" aria-label={field.label}>
        {rows.map((row, index) => (
          <li key={index} className="flex items-center gap-2">
            <Input aria-label={`${field.label} name ${index + 1}`} className="flex-1 font-mono text-[13px]" value={row.key} onChange={(e) => edit(index, { key: e.target.value })} />
            <TemplateInput aria-label={`${field.label} value ${index + 1}`} className="flex-[2]" value={row.value} onText={(text) => edit(index, { value: text })} />
            <button
              type="button"
              aria-label={`Remove ${noun} ${index + 1}`}
              className="rounded-md p-1.5 text-slate-400 hover:bg-slate-100 hover:text-red-600"
              onClick={() => onRows((current) => ((current as Pair[] | undefined) ?? []).filter((_, i) => i !== index))}
            >
              <IconX className="h-4 w-4" />
            </button>
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="inline-flex items-center gap-1 rounded-lg px-2.5 py-1.5 text-xs font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50"
        onClick={() => onRows((current) => [...((current as Pair[] | undefined) ?? []), { key: '', value: '' }])}
      >
        <IconPlus className="h-3.5 w-3.5" /> Add {noun}
      </button>
    </fieldset>
  );
}

function WorkflowField({ label, value, onValue, workflowId }: { label: string; value: string; onValue: (value: string) => void; workflowId: string | null }) {
  const workflows = useWorkflows();
  const others = (workflows.data ?? []).filter((w) => w.id !== workflowId);
  return (
    <Field label={label}>
      {(control) => (
        <Select {...control} value={value} onChange={(e) => onValue(e.target.value)}>
          <option value="">Choose an automation…</option>
          {value && !others.some((w) => w.id === value) && <option value={value}>{value}</option>}
          {others.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
}

const DEFAULT_RETRY: RetryDraft = { max_attempts: '3', backoff_seconds: '2', max_backoff_seconds: '300' };

function RetryFields({ step, onChange }: { step: DraftStep; onChange: StepEditorProps['onChange'] }) {
  const retry = step.retry;
  const set = (change: Partial<RetryDraft>) => onChange((s) => ({ ...s, retry: { ...(s.retry ?? DEFAULT_RETRY), ...change } }));
  return (
    <fieldset className="space-y-3 rounded-lg border border-slate-200 p-3">
      <legend className="px-1 text-sm font-medium text-slate-700">Retries and timeout</legend>
      <Checkbox
        label="Custom retry policy"
        description="Otherwise: 3 attempts, waiting 2 s, then longer, between them."
        checked={retry !== null}
        onChange={(e) => {
          const on = e.target.checked;
          onChange((s) => ({ ...s, retry: on ? { ...DEFAULT_RETRY } : null }));
        }}
      />
      {retry && (
        <div className="grid gap-3 sm:grid-cols-3">
          <TextField label="Attempts" inputMode="numeric" value={retry.max_attempts} onChange={(e) => set({ max_attempts: e.target.value })} />
          <TextField label="First wait (s)" inputMode="decimal" value={retry.backoff_seconds} onChange={(e) => set({ backoff_seconds: e.target.value })} />
          <TextField label="Longest wait (s)" inputMode="decimal" value={retry.max_backoff_seconds} onChange={(e) => set({ max_backoff_seconds: e.target.value })} />
        </div>
      )}
      <TextField
        label="Timeout (seconds, optional)"
        inputMode="decimal"
        value={step.timeout_seconds}
        hint="Each attempt; 30 s when empty, at most 600."
        onChange={(e) => {
          const timeout_seconds = e.target.value;
          onChange((s) => ({ ...s, timeout_seconds }));
        }}
      />
    </fieldset>
  );
}
