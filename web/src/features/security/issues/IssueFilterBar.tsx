import { useEffect, useRef, useState } from 'react';
import { Button, Input, Select } from '../../../components';
import { IconSearch } from '../../../components/Icons';
import { cn } from '../../../lib/cn';
import { CATEGORY_LABELS, ISSUE_STATUS_LABELS, SEVERITY_LABELS } from '../labels';
import { ISSUE_CATEGORIES, ISSUE_STATUSES, SEVERITIES } from '../types';
import { activeFilterCount, DEFAULT_FILTERS, type IssueFilters } from './filters';

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

export function IssueFilterBar({ filters, onChange }: { filters: IssueFilters; onChange: (patch: Partial<IssueFilters>) => void }) {
  const [q, setQ] = useDebounced(filters.q, (value) => onChange({ q: value }));
  return (
    <section aria-label="Filters" className="space-y-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
      <div className="flex flex-wrap items-end gap-3">
        <div className="relative min-w-[14rem] flex-1">
          <IconSearch className="pointer-events-none absolute top-2.5 left-3 h-4 w-4 text-slate-400" aria-hidden="true" />
          <Input aria-label="Search issues" type="search" className="pl-9" placeholder="Search title, target or check" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
        <label className="text-xs font-medium text-slate-500">
          Category
          <Select className="mt-1 w-44" value={filters.category} onChange={(e) => onChange({ category: e.target.value })}>
            <option value="">All categories</option>
            {ISSUE_CATEGORIES.map((category) => (
              <option key={category} value={category}>
                {CATEGORY_LABELS[category] ?? category}
              </option>
            ))}
          </Select>
        </label>
        {activeFilterCount(filters) > 0 && (
          <Button variant="ghost" size="sm" onClick={() => onChange(DEFAULT_FILTERS)}>
            Clear filters
          </Button>
        )}
      </div>
      <div className="flex flex-wrap gap-x-6 gap-y-2">
        <Chips label="Status" values={ISSUE_STATUSES} selected={filters.status} labels={ISSUE_STATUS_LABELS} onChange={(status) => onChange({ status })} />
        <Chips label="Severity" values={SEVERITIES} selected={filters.severity} labels={SEVERITY_LABELS} onChange={(severity) => onChange({ severity })} />
      </div>
    </section>
  );
}
