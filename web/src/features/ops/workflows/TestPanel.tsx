/** Test mode: run the form as it stands (saved or not) against sample trigger data, as a dry run —
 * each step's rendered input and what it would do, the branch each if/else takes, and errors. */
import { useEffect, useRef, useState } from 'react';
import { Badge, Button, Field, ProblemAlert, TextArea } from '../../../components';
import { FormProblem } from './fields';
import { useTestWorkflow } from './hooks';
import { stepLabel } from './labels';
import type { TestOut, TestStepOut, TriggerType, WorkflowIn } from './types';
import { sampleInput } from './variables';

interface TestPanelProps {
  workflowId: string | null;
  triggerType: TriggerType;
  event: string;
  /** The unsaved form as a definition; throws FormProblem when the form cannot be read. */
  definition: () => WorkflowIn;
}

function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function TestPanel({ workflowId, triggerType, event, definition }: TestPanelProps) {
  const sample = pretty(sampleInput(triggerType, event));
  const [input, setInput] = useState(sample);
  const edited = useRef(false);
  const [problem, setProblem] = useState<string | null>(null);
  const test = useTestWorkflow();

  // A new trigger brings its own example, unless the user has written their own data.
  useEffect(() => {
    if (!edited.current) setInput(sample);
  }, [sample]);

  const run = () => {
    setProblem(null);
    let data: unknown;
    try {
      data = JSON.parse(input || '{}');
    } catch {
      setProblem('The sample data is not valid JSON.');
      return;
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      setProblem('The sample data must be a JSON object.');
      return;
    }
    let body: WorkflowIn;
    try {
      body = definition();
    } catch (e) {
      setProblem(e instanceof FormProblem ? e.message : String(e));
      return;
    }
    if (workflowId) test.mutate({ id: workflowId, input: data as Record<string, unknown>, definition: body });
  };

  return (
    <section aria-labelledby="test-heading" className="space-y-4">
      <div>
        <h2 id="test-heading" className="text-base font-semibold text-slate-900">
          Test run
        </h2>
        <p className="text-sm text-slate-500">Runs the steps as they stand in the form with this data. Nothing is written or sent.</p>
      </div>
      <Field label="Sample trigger data (JSON)">
        {(control) => (
          <TextArea
            {...control}
            rows={8}
            className="font-mono text-xs"
            value={input}
            spellCheck={false}
            onChange={(e) => {
              edited.current = true;
              setInput(e.target.value);
            }}
          />
        )}
      </Field>
      <div className="flex flex-wrap items-center gap-3">
        <Button onClick={run} loading={test.isPending} disabled={!workflowId}>
          Run test
        </Button>
        <Button
          variant="ghost"
          size="sm"
          onClick={() => {
            edited.current = false;
            setInput(sample);
          }}
        >
          Reset the example
        </Button>
        {!workflowId && <p className="text-sm text-slate-500">Save the automation once to test it.</p>}
      </div>
      {problem && (
        <p role="alert" className="text-sm text-red-700">
          {problem}
        </p>
      )}
      <ProblemAlert error={test.error} title="The test could not run" />
      {test.data && <TestResult result={test.data} />}
    </section>
  );
}

export function TestResult({ result }: { result: TestOut }) {
  const error = result.error as { message?: string; step?: string } | null | undefined;
  return (
    <div className="space-y-3" aria-live="polite">
      {result.trigger_matches === true && <p className="text-sm text-emerald-700">The trigger’s conditions match this data: an event like it starts a run.</p>}
      {result.trigger_matches === false && (
        <p className="text-sm text-amber-800">The trigger’s conditions do not match this data: an event like it would not start a run.</p>
      )}
      {result.status === 'ok' ? (
        <p className="text-sm font-medium text-slate-800">Every step would run.</p>
      ) : (
        <p role="alert" className="text-sm font-medium text-red-700">
          The run would fail{error?.step ? ` at ${error.step}` : ''}: {error?.message ?? 'see the steps below'}
        </p>
      )}
      <ol aria-label="Test results" className="space-y-2">
        {result.steps.map((step, index) => (
          <TestStep key={`${step.path}-${index}`} step={step} />
        ))}
      </ol>
    </div>
  );
}

function wouldText(step: TestStepOut): string {
  const would = step.would as { text?: unknown; output?: { result?: unknown; count?: unknown } };
  if (step.type === 'condition') {
    return would.output?.result ? 'The conditions hold: it takes the “then” branch.' : 'The conditions do not hold: it takes the “else” branch.';
  }
  if (step.type === 'loop') return `It would repeat its steps for ${String(would.output?.count ?? 0)} item(s).`;
  return typeof would.text === 'string' ? would.text.charAt(0).toUpperCase() + would.text.slice(1) : '';
}

function TestStep({ step }: { step: TestStepOut }) {
  const depth = step.path.split('.').length - 1;
  const text = wouldText(step);
  return (
    <li className="rounded-lg bg-white px-3 py-2 ring-1 ring-slate-200" style={{ marginLeft: `${Math.min(depth, 4) * 1}rem` }}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-mono text-xs text-slate-500">{step.path}</span>
        <Badge tone={step.error ? 'danger' : 'neutral'}>{stepLabel(step.type)}</Badge>
      </div>
      {text && <p className="mt-1 text-sm text-slate-800">{text}</p>}
      {step.error && <p className="mt-1 text-sm text-red-700">{step.error}</p>}
      {Object.keys(step.input ?? {}).length > 0 && (
        <details className="mt-1">
          <summary className="cursor-pointer text-xs text-slate-500">Rendered input</summary>
          <pre className="mt-1 max-h-60 overflow-auto rounded bg-slate-50 p-2 text-xs text-slate-700">{pretty(step.input)}</pre>
        </details>
      )}
    </li>
  );
}
