import { useEffect, useRef, useState } from 'react';
import { Button, Checkbox, Input, Select } from '../../../components';
import { IconSearch } from '../../../components/Icons';
import { cn } from '../../../lib/cn';
import { PRIORITY_LABELS, STATUS_LABELS } from '../shared/labels';
import { PRIORITIES, STATUSES, type Member, type TaskSort } from '../shared/types';
import { activeFilterCount, DEFAULT_FILTERS, type TaskFilters } from './filters';

const SORT_LABELS: Record<TaskSort, string> = {
  created_at: 'Newest',
  updated_at: 'Recently updated',
  due_at: 'Due date',
  priority: 'Priority',
  position: 'Board order',
};

/** A text input that commits what is typed after a short pause (and follows outside changes). */
function useDebounced(value: string, commit: (value: string) => void, delay = 300) {
  const [draft, setDraft] = useState(value);
  const commitRef = useRef(commit);
  commitRef.current = commit;
  useEffect(() => setDraft(value), [value]);
  useEffect(() => {
    if (draft === value) return;
    const timer = setTimeout(() => commitRef.current(draft), delay);
    return () => clearTimeout(timer);
    // Not on `value`: an outside change only resets the draft (above), it is never committed back.
  }, [draft, delay]);
  return [draft, setDraft] as const;
}

function Chips<T extends string>({ label, values, selected, labels, onChange }: { label: string; values: readonly T[]; selected: T[]; labels: Record<T, string>; onChange: (next: T[]) => void }) {
  return (
    <div role="group" aria-label={label} className="flex flex-wrap items-center gap-1">
      <span className="mr-1 text-xs font-medium text-slate-500">{label}</span>
      {values.map((value) => {
        const on = selected.includes(value);
        return (
          <button
            key={value}
            type="button"
            aria-pressed={on}
            onClick={() => onChange(on ? selected.filter((v) => v !== value) : [...selected, value])}
            className={cn(
              'rounded-full px-2.5 py-1 text-xs font-medium ring-1 ring-inset',
              on ? 'bg-brand-600 text-white ring-brand-600' : 'bg-white text-slate-700 ring-slate-300 hover:bg-slate-50',
            )}
          >
            {labels[value]}
          </button>
        );
      })}
    </div>
  );
}

interface FilterBarProps {
  filters: TaskFilters;
  members: Member[];
  onChange: (patch: Partial<TaskFilters>) => void;
}

export function FilterBar({ filters, members, onChange }: FilterBarProps) {
  const [q, setQ] = useDebounced(filters.q, (value) => onChange({ q: value }));
  const [tag, setTag] = useDebounced(filters.tag, (value) => onChange({ tag: value }));
  const active = activeFilterCount(filters);
  return (
    <section aria-label="Filters" className="space-y-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
      <div className="flex flex-wrap items-end gap-3">
        <div className="relative min-w-[14rem] flex-1">
          <IconSearch className="pointer-events-none absolute top-2.5 left-3 h-4 w-4 text-slate-400" aria-hidden="true" />
          <Input aria-label="Search tasks" type="search" className="pl-9" placeholder="Search title and description" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
        <label className="text-xs font-medium text-slate-500">
          Assignee
          <Select className="mt-1 w-44" value={filters.assignee} onChange={(e) => onChange({ assignee: e.target.value })}>
            <option value="">Anyone</option>
            <option value="me">Me</option>
            <option value="none">Unassigned</option>
            {members.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.full_name || m.email}
              </option>
            ))}
          </Select>
        </label>
        <label className="text-xs font-medium text-slate-500">
          Due from
          <Input type="date" className="mt-1 w-40" value={filters.dueFrom} onChange={(e) => onChange({ dueFrom: e.target.value })} />
        </label>
        <label className="text-xs font-medium text-slate-500">
          Due to
          <Input type="date" className="mt-1 w-40" value={filters.dueTo} min={filters.dueFrom || undefined} onChange={(e) => onChange({ dueTo: e.target.value })} />
        </label>
        <label className="text-xs font-medium text-slate-500">
          Tag
          <Input className="mt-1 w-32" placeholder="#tag" value={tag} onChange={(e) => setTag(e.target.value)} />
        </label>
        <label className="text-xs font-medium text-slate-500">
          Sort by
          <Select className="mt-1 w-44" value={filters.sort} onChange={(e) => onChange({ sort: e.target.value as TaskSort, order: '' })}>
            {(Object.keys(SORT_LABELS) as TaskSort[]).map((s) => (
              <option key={s} value={s}>
                {SORT_LABELS[s]}
              </option>
            ))}
          </Select>
        </label>
        <label className="text-xs font-medium text-slate-500">
          Order
          <Select className="mt-1 w-32" value={filters.order} onChange={(e) => onChange({ order: e.target.value as TaskFilters['order'] })}>
            <option value="">Natural</option>
            <option value="asc">Ascending</option>
            <option value="desc">Descending</option>
          </Select>
        </label>
      </div>
      <div className="flex flex-wrap items-center gap-x-6 gap-y-2">
        <Chips label="Status" values={STATUSES} selected={filters.status} labels={STATUS_LABELS} onChange={(status) => onChange({ status })} />
        <Chips label="Priority" values={PRIORITIES} selected={filters.priority} labels={PRIORITY_LABELS} onChange={(priority) => onChange({ priority })} />
        <Checkbox label="Overdue only" checked={filters.overdue} onChange={(e) => onChange({ overdue: e.target.checked })} />
        <Checkbox label="Include subtasks" checked={filters.subtasks} onChange={(e) => onChange({ subtasks: e.target.checked })} />
        {active > 0 && (
          <Button
            size="sm"
            variant="ghost"
            onClick={() => onChange({ ...DEFAULT_FILTERS, sort: filters.sort, order: filters.order, subtasks: filters.subtasks })}
          >
            Clear {active} filter{active === 1 ? '' : 's'}
          </Button>
        )}
      </div>
    </section>
  );
}
