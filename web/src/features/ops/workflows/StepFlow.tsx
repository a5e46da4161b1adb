/**
 * The steps as a vertical flow: a card per step, "+" between cards to insert one, an if/else step's
 * branches side by side, and a loop's body indented under it.
 */
import { useState } from 'react';
import { IconPlus } from '../../../components/Icons';
import { cn } from '../../../lib/cn';
import type { Branch, Container, DraftStep } from './definition';
import { describeCondition } from './describe';
import { toCondition, type DraftCondition } from './fields';
import { stepLabel } from './labels';
import type { StepType } from './types';

interface FlowProps {
  steps: DraftStep[];
  types: StepType[];
  selected: string | null;
  /** Step ids a server problem named. */
  flagged: ReadonlySet<string>;
  onSelect: (key: string) => void;
  onInsert: (container: Container, index: number, type: StepType) => void;
  onRemove: (key: string) => void;
  onMove: (key: string, by: -1 | 1) => void;
}

type Shared = Omit<FlowProps, 'steps'> & { openAt: string | null; setOpenAt: (at: string | null) => void };

export function StepFlow(props: FlowProps) {
  const [openAt, setOpenAt] = useState<string | null>(null);
  const shared: Shared = { ...props, openAt, setOpenAt };
  return (
    <div className="space-y-1">
      <StepList steps={props.steps} container={{ parent: null, branch: null }} label="Steps" startLabel="Add a step at the start" shared={shared} />
    </div>
  );
}

function StepList({ steps, container, label, startLabel, shared }: { steps: DraftStep[]; container: Container; label: string; startLabel: string; shared: Shared }) {
  return (
    <div>
      <InsertPoint at={`${container.parent ?? 'root'}:${container.branch ?? ''}:0`} label={startLabel} container={container} index={0} shared={shared} prominent={steps.length === 0} />
      <ol aria-label={label} className="space-y-0">
        {steps.map((step, index) => (
          <li key={step.key}>
            <StepCard step={step} first={index === 0} last={index === steps.length - 1} shared={shared} />
            <InsertPoint at={`${step.key}:after`} label={`Add a step after ${step.id}`} container={container} index={index + 1} shared={shared} />
          </li>
        ))}
      </ol>
    </div>
  );
}

function InsertPoint({ at, label, container, index, shared, prominent = false }: { at: string; label: string; container: Container; index: number; shared: Shared; prominent?: boolean }) {
  const open = shared.openAt === at;
  return (
    <div className="flex flex-col items-center py-1">
      <span aria-hidden="true" className="h-2 w-px bg-slate-300" />
      <button
        type="button"
        aria-label={label}
        aria-expanded={open}
        title={label}
        onClick={() => shared.setOpenAt(open ? null : at)}
        className={cn(
          'flex items-center justify-center rounded-full text-slate-500 ring-1 ring-slate-300 hover:bg-brand-50 hover:text-brand-700 hover:ring-brand-300',
          prominent ? 'gap-1 bg-white px-3 py-1.5 text-sm font-medium' : 'h-6 w-6 bg-white',
          open && 'bg-brand-50 text-brand-700 ring-brand-400',
        )}
      >
        <IconPlus className="h-3.5 w-3.5" />
        {prominent && <span>Add a step</span>}
      </button>
      {open && (
        <div role="group" aria-label="Choose a step type" className="z-10 mt-2 grid w-full max-w-md grid-cols-2 gap-1 rounded-lg bg-white p-2 shadow-lg ring-1 ring-slate-200">
          {shared.types.map((type) => (
            <button
              key={type}
              type="button"
              className="rounded-md px-2 py-1.5 text-left text-sm text-slate-700 hover:bg-brand-50 hover:text-brand-800"
              onClick={() => {
                shared.setOpenAt(null);
                shared.onInsert(container, index, type);
              }}
            >
              {stepLabel(type)}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A few words about what the step is set to do. */
export function stepSummary(step: DraftStep): string {
  const c = step.config;
  switch (step.type) {
    case 'create_task':
      return text(c.title);
    case 'update_task':
      return text(c.task_id);
    case 'send_email':
      return [text(c.to), text(c.subject)].filter(Boolean).join(' · ');
    case 'http_request':
      return `${text(c.method) || 'POST'} ${text(c.url)}`.trim();
    case 'llm':
      return text(c.prompt).slice(0, 80);
    case 'condition': {
      const rows = Array.isArray(c.conditions) ? (c.conditions as DraftCondition[]).filter((row) => row.field) : [];
      return rows.map((row) => describeCondition(toCondition(row))).join(c.match === 'any' ? ' or ' : ' and ');
    }
    case 'loop':
      return text(c.items) ? `each of ${text(c.items)}` : '';
    case 'delay':
      return text(c.until) || ['days', 'hours', 'minutes'].filter((unit) => text(c[unit])).map((unit) => `${text(c[unit])} ${unit}`).join(' ');
    case 'approval':
      return text(c.message) || `${text(c.required) || '1'} approval(s)`;
    case 'notify':
      return text(c.title);
    case 'update_record':
      return [text(c.entity), text(c.id)].filter(Boolean).join(' ');
    default:
      return '';
  }
}

function StepCard({ step, first, last, shared }: { step: DraftStep; first: boolean; last: boolean; shared: Shared }) {
  const selected = shared.selected === step.key;
  const flagged = shared.flagged.has(step.id);
  const summary = stepSummary(step);
  return (
    <div
      data-step={step.id}
      className={cn(
        'group rounded-lg bg-white shadow-sm ring-1',
        selected ? 'ring-2 ring-brand-500' : flagged ? 'ring-2 ring-red-400' : 'ring-slate-200',
      )}
    >
      <div className="flex items-start gap-2 px-3 py-2">
        <button type="button" aria-label={`Edit ${step.id}`} aria-pressed={selected} onClick={() => shared.onSelect(step.key)} className="min-w-0 flex-1 text-left">
          <span className="block text-xs font-medium uppercase tracking-wide text-brand-700">{step.name || stepLabel(step.type)}</span>
          <span className="block font-mono text-xs text-slate-500">{step.id}</span>
          {summary && <span className="mt-0.5 block truncate text-sm text-slate-800">{summary}</span>}
        </button>
        <div className="flex shrink-0 items-center gap-0.5 opacity-70 group-hover:opacity-100">
          <button type="button" aria-label={`Move ${step.id} up`} disabled={first} onClick={() => shared.onMove(step.key, -1)} className="rounded px-1.5 py-0.5 text-xs text-slate-500 hover:bg-slate-100 disabled:opacity-30">
            ↑
          </button>
          <button type="button" aria-label={`Move ${step.id} down`} disabled={last} onClick={() => shared.onMove(step.key, 1)} className="rounded px-1.5 py-0.5 text-xs text-slate-500 hover:bg-slate-100 disabled:opacity-30">
            ↓
          </button>
          <button type="button" aria-label={`Delete ${step.id}`} onClick={() => shared.onRemove(step.key)} className="rounded px-1.5 py-0.5 text-xs text-slate-500 hover:bg-red-50 hover:text-red-700">
            ✕
          </button>
        </div>
      </div>
      {step.type === 'condition' && (
        <div className="grid gap-3 border-t border-slate-100 p-3 md:grid-cols-2">
          <BranchColumn step={step} branch="then" title="Then" note="when the conditions hold" shared={shared} />
          <BranchColumn step={step} branch="else" title="Else" note="otherwise" shared={shared} />
        </div>
      )}
      {step.type === 'loop' && (
        <div className="border-t border-slate-100 py-2 pl-6 pr-3">
          <div className="border-l-2 border-dashed border-brand-200 pl-4">
            <p className="text-xs font-medium text-slate-500">For each item</p>
            <StepList steps={step.steps} container={{ parent: step.key, branch: 'steps' }} label={`Steps inside ${step.id}`} startLabel={`Add a step inside ${step.id}`} shared={shared} />
          </div>
        </div>
      )}
    </div>
  );
}

function BranchColumn({ step, branch, title, note, shared }: { step: DraftStep; branch: Branch; title: string; note: string; shared: Shared }) {
  return (
    <div className="rounded-md bg-slate-50 p-2">
      <p className="text-xs font-semibold text-slate-600">
        {title} <span className="font-normal text-slate-400">— {note}</span>
      </p>
      <StepList
        steps={branch === 'then' ? step.then : step.else}
        container={{ parent: step.key, branch }}
        label={`${title} of ${step.id}`}
        startLabel={`Add a step to the ${title.toLowerCase()} branch of ${step.id}`}
        shared={shared}
      />
    </div>
  );
}
