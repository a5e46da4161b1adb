/**
 * /ops/automations/:workflowId ("new" for a new one): the visual builder. The trigger on top, the
 * steps as a flow, the selected step's settings (with the variables picker) at the side, and the
 * test panel. Saving writes a new version; Activate saves first when the form has changes.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { Badge, Button, Card, PageSpinner, ProblemAlert, TextField } from '../../../components';
import { canWrite, useRole } from '../../auth/session';
import {
  blankDraft,
  findStep,
  fingerprint,
  Forms,
  insertStep,
  locate,
  moveStep,
  newStep,
  removeStep,
  allIds,
  STEP_ID,
  toDraft,
  toTrigger,
  toWorkflowIn,
  updateStep,
  type Container,
  type Draft,
  type DraftStep,
  type DraftTrigger,
} from './definition';
import { describeTrigger } from './describe';
import { FormProblem } from './fields';
import { useRotateSecret, useRunNow, useSaveWorkflow, useSetActive, useWorkflow, useWorkflowCatalog } from './hooks';
import { stepProblems } from './problems';
import { StepEditor } from './StepEditor';
import { StepFlow } from './StepFlow';
import { TemplateTargets } from './TemplateField';
import { TestPanel } from './TestPanel';
import { TriggerEditor } from './TriggerEditor';
import type { CatalogOut, StepType, WorkflowIn, WorkflowOut } from './types';

interface BuilderState {
  /** The answer of the save that created this workflow (carries the one-time webhook secret). */
  saved?: WorkflowOut;
  /** A proposed definition to start a new automation from (e.g. an AI suggestion). */
  definition?: Partial<WorkflowIn>;
}

export function WorkflowBuilderPage() {
  const { workflowId = 'new' } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const isNew = workflowId === 'new';
  const state = (location.state ?? null) as BuilderState | null;
  // The page stays mounted when /new becomes /<id> after the first save: keep that save's answer.
  const [kept, setKept] = useState<WorkflowOut | undefined>(undefined);
  if (state?.saved && state.saved.id === workflowId && kept?.id !== workflowId) setKept(state.saved);
  const justSaved = kept?.id === workflowId ? kept : state?.saved?.id === workflowId ? state.saved : undefined;
  const catalog = useWorkflowCatalog();
  const workflow = useWorkflow(isNew ? undefined : workflowId, justSaved ? { ...justSaved, webhook_secret: null } : undefined);

  // The one-time secret lives in this page's state only: not in history, where a reload would show it again.
  useEffect(() => {
    if (state?.saved) navigate(location.pathname, { replace: true, state: null });
  }, [state, navigate, location.pathname]);

  if (catalog.isPending || (!isNew && workflow.isPending)) return <PageSpinner label="Loading the automation" />;
  if (catalog.isError) return <ProblemAlert error={catalog.error} title="Could not load the builder" />;
  if (!isNew && !workflow.data) return <ProblemAlert error={workflow.error} title="Could not load the automation" />;
  return (
    <Builder
      key={workflowId}
      catalog={catalog.data}
      saved={isNew ? null : (workflow.data ?? null)}
      initialSecret={justSaved?.webhook_secret ?? null}
      proposal={isNew ? (state?.definition ?? null) : null}
    />
  );
}

/** Why the form cannot be saved as it stands (checked here so the answer is immediate), or null. */
function unsavable(draft: Draft): string | null {
  if (!draft.name.trim()) return 'Give the automation a name.';
  const ids = allIds(draft.steps);
  if (ids.length === 0) return 'Add at least one step.';
  const invalid = ids.find((id) => !STEP_ID.test(id));
  if (invalid !== undefined) return `The step id '${invalid}' is not valid.`;
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) return `Two steps share the id '${twice}'.`;
  return null;
}

interface BuilderProps {
  catalog: CatalogOut;
  saved: WorkflowOut | null;
  initialSecret: string | null;
  proposal: Partial<WorkflowIn> | null;
}

function Builder({ catalog, saved, initialSecret, proposal }: BuilderProps) {
  const forms = useMemo(() => new Forms(catalog), [catalog]);
  const navigate = useNavigate();
  const writer = canWrite(useRole());
  const [draft, setDraft] = useState<Draft>(() => (saved || proposal ? toDraft(saved ?? proposal, forms) : blankDraft()));
  const [baseline, setBaseline] = useState(() => (saved ? fingerprint(draft, forms) : ''));
  const [selected, setSelected] = useState<string | null>(() => draft.steps[0]?.key ?? null);
  const [secret, setSecret] = useState<string | null>(initialSecret);
  const [formProblem, setFormProblem] = useState<string | null>(null);
  const [testing, setTesting] = useState(false);
  const save = useSaveWorkflow();
  const activation = useSetActive();
  const rotate = useRotateSecret();
  const runNow = useRunNow((run) => navigate(`/ops/runs/${run.id}`));

  const dirty = fingerprint(draft, forms) !== baseline;
  const problems = useMemo(() => stepProblems(save.error, draft.steps), [save.error, draft.steps]);
  const flagged = useMemo(() => new Set(problems.keys()), [problems]);
  const located = selected ? locate(draft.steps, selected) : null;
  const selectedStep = selected ? findStep(draft.steps, selected) : null;
  const active = saved?.is_active ?? false;

  const setTrigger = (change: Partial<DraftTrigger>) => setDraft((d) => ({ ...d, trigger: { ...d.trigger, ...change } }));
  const setSteps = (edit: (steps: DraftStep[]) => DraftStep[]) => setDraft((d) => ({ ...d, steps: edit(d.steps) }));

  const insert = (container: Container, index: number, type: StepType) => {
    const step = newStep(type, forms, draft.steps);
    setSteps((steps) => insertStep(steps, container, index, step));
    setSelected(step.key);
  };

  /** The form as a WorkflowIn, or null (with the reason shown) when it cannot be saved yet. */
  const body = (isActive: boolean): WorkflowIn | null => {
    const problem = unsavable(draft);
    setFormProblem(problem);
    if (problem) return null;
    try {
      return toWorkflowIn(draft, forms, { is_active: isActive });
    } catch (e) {
      setFormProblem(e instanceof FormProblem ? e.message : String(e));
      return null;
    }
  };

  const doSave = (isActive: boolean) => {
    const payload = body(isActive);
    if (!payload) return;
    activation.reset();
    save.mutate(
      { id: saved?.id ?? null, body: payload },
      {
        onSuccess: (out) => {
          const next = { ...draft, is_active: out.is_active };
          setDraft(next);
          setBaseline(fingerprint(next, forms));
          if (out.webhook_secret) setSecret(out.webhook_secret);
          if (!saved) navigate(`/ops/automations/${out.id}`, { replace: true, state: { saved: out } satisfies BuilderState });
        },
      },
    );
  };

  const setActive = (on: boolean) => {
    if (on && (!saved || dirty)) return doSave(true);
    if (!saved) return;
    save.reset();
    activation.mutate({ id: saved.id, active: on }, { onSuccess: (result) => setDraft((d) => ({ ...d, is_active: result.is_active })) });
  };

  const definition = (): WorkflowIn => toWorkflowIn(draft, forms, { is_active: false });
  const summary = describeTrigger(toTrigger(draft.trigger) as unknown as Record<string, unknown>);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="min-w-0">
          <Link to="/ops/automations" className="text-sm text-slate-500 hover:text-brand-700">
            ← Automations
          </Link>
          <h1 className="mt-1 text-2xl font-semibold tracking-tight text-slate-900">{saved ? saved.name : draft.name.trim() || 'New automation'}</h1>
          <div className="mt-1 flex flex-wrap items-center gap-2 text-sm text-slate-500">
            {saved ? <Badge tone={active ? 'success' : 'neutral'}>{active ? 'Active' : 'Inactive'}</Badge> : <Badge>Not saved yet</Badge>}
            {saved && <span>Version {saved.version}</span>}
            {saved && dirty && <span className="text-amber-700">Unsaved changes</span>}
          </div>
        </div>
        {writer && (
          <div className="flex flex-wrap items-center gap-2">
            <Button variant="secondary" onClick={() => setTesting((t) => !t)} aria-expanded={testing}>
              {testing ? 'Close test' : 'Test'}
            </Button>
            {saved && draft.trigger.type === 'manual' && !dirty && (
              <Button variant="secondary" loading={runNow.isPending} onClick={() => runNow.mutate(saved.id)}>
                Run now
              </Button>
            )}
            <Button variant="secondary" loading={save.isPending && !save.variables?.body.is_active} onClick={() => doSave(draft.is_active)} disabled={saved !== null && !dirty}>
              Save
            </Button>
            {active ? (
              <Button variant="secondary" loading={activation.isPending} onClick={() => setActive(false)}>
                Deactivate
              </Button>
            ) : (
              <Button loading={activation.isPending || (save.isPending && Boolean(save.variables?.body.is_active))} onClick={() => setActive(true)}>
                {saved && !dirty ? 'Activate' : 'Save and activate'}
              </Button>
            )}
          </div>
        )}
      </div>

      {formProblem && (
        <p role="alert" className="rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
          {formProblem}
        </p>
      )}
      <ProblemAlert error={save.error} title="Could not save the automation" />
      <ProblemAlert error={activation.error} title="Could not change whether it runs" />
      <ProblemAlert error={runNow.error} title="Could not start a run" />
      <ProblemAlert error={rotate.error} title="Could not make a new secret" />
      {save.isSuccess && !dirty && !formProblem && (
        <p role="status" className="text-sm text-emerald-700">
          Saved{save.data.is_active ? ' — the automation is active' : ''}.
        </p>
      )}

      <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_24rem]">
        <div className="min-w-0 space-y-6">
          <Card title="About">
            <div className="grid gap-4 sm:grid-cols-2">
              <TextField label="Automation name" value={draft.name} onChange={(e) => setDraft((d) => ({ ...d, name: e.target.value }))} placeholder="Thank big customers" />
              <TextField label="Description (optional)" value={draft.description} onChange={(e) => setDraft((d) => ({ ...d, description: e.target.value }))} />
            </div>
          </Card>

          <Card title="Trigger" description={<span data-testid="trigger-summary">{summary}</span>}>
            <TriggerEditor
              trigger={draft.trigger}
              onChange={setTrigger}
              events={catalog.events}
              saved={saved}
              secret={secret}
              rotating={rotate.isPending}
              onRotateSecret={saved && writer ? () => rotate.mutate(saved.id, { onSuccess: (out) => setSecret(out.webhook_secret ?? null) }) : undefined}
            />
          </Card>

          <Card title="Steps" description="They run from top to bottom. Use + to add a step at that point.">
            <StepFlow
              steps={draft.steps}
              types={forms.types()}
              selected={selected}
              flagged={flagged}
              onSelect={setSelected}
              onInsert={insert}
              onRemove={(key) => {
                setSteps((steps) => removeStep(steps, key));
                if (selected === key) setSelected(null);
              }}
              onMove={(key, by) => setSteps((steps) => moveStep(steps, key, by))}
            />
          </Card>

          {testing && (
            <Card>
              <TestPanel workflowId={saved?.id ?? null} triggerType={draft.trigger.type} event={draft.trigger.event} definition={definition} />
            </Card>
          )}
        </div>

        <aside aria-label="Step settings" className="lg:sticky lg:top-4 lg:max-h-[calc(100vh-2rem)] lg:overflow-y-auto">
          <Card>
            {selectedStep && located ? (
              <TemplateTargets key={selectedStep.key}>
                <StepEditor
                  step={selectedStep}
                  forms={forms}
                  scope={{ triggerType: draft.trigger.type, event: draft.trigger.event, earlier: located.before, inLoop: located.inLoop }}
                  onChange={(change) => setSteps((steps) => updateStep(steps, selectedStep.key, change))}
                  problem={problems.get(selectedStep.id) ?? null}
                  workflowId={saved?.id ?? null}
                />
              </TemplateTargets>
            ) : (
              <p className="text-sm text-slate-500">{draft.steps.length ? 'Select a step to change its settings.' : 'Add a step: its settings appear here.'}</p>
            )}
          </Card>
        </aside>
      </div>
    </div>
  );
}
