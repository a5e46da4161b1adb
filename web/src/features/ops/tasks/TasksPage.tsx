import { useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Badge, Card, EmptyState, PageHeader, Pager, ProblemAlert, Spinner, Table, type Column } from '../../../components';
import { IconList } from '../../../components/Icons';
import { canWrite, useMe, useRole } from '../../auth/session';
import { BlockedBadge, DueBadge, PriorityBadge, StatusBadge, SubtaskProgress } from '../shared/badges';
import { useMemberNames, useMembers, useTasks } from '../shared/hooks';
import type { Task } from '../shared/types';
import { BulkBar } from './BulkBar';
import { FilterBar } from './FilterBar';
import { activeFilterCount, filtersFromSearch, PAGE_SIZE, queryFromFilters, searchFromFilters, type TaskFilters } from './filters';
import { AutomationSuggestions, NextActionCard } from './PlanningSuggestions';
import { QuickAdd } from './QuickAdd';

/** /ops/tasks: the filterable, sortable, pageable task list with quick add and bulk changes. */
export function TasksPage() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromSearch(params), [params]);
  const query = useMemo(() => queryFromFilters(filters), [filters]);
  const tasks = useTasks(query);
  const members = useMembers();
  const me = useMe();
  const writer = canWrite(useRole());
  const [selected, setSelected] = useState<Set<string>>(new Set());

  // Two debounced inputs can commit before the URL re-renders: each change builds on the last one
  // made, and the URL's filters take over again whenever the URL itself changes (links, "back").
  const latest = useRef(filters);
  const rendered = useRef(params.toString());
  if (rendered.current !== params.toString()) {
    rendered.current = params.toString();
    latest.current = filters;
  }
  const change = (patch: Partial<TaskFilters>) => {
    // Any change but paging starts again at the first page, with nothing selected.
    const next = { ...latest.current, page: 0, ...patch };
    latest.current = next;
    setSelected(new Set());
    setParams(searchFromFilters(next), { replace: true });
  };

  const names = useMemberNames();

  const rows = tasks.data?.items ?? [];
  const allOnPage = rows.length > 0 && rows.every((t) => selected.has(t.id));
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const toggleAll = () => setSelected(allOnPage ? new Set() : new Set(rows.map((t) => t.id)));

  const columns: Column<Task>[] = [
    ...(writer
      ? [
          {
            key: 'select',
            header: <input type="checkbox" aria-label="Select all tasks on this page" checked={allOnPage} onChange={toggleAll} className="h-4 w-4 accent-brand-600" />,
            cell: (t: Task) => (
              <input type="checkbox" aria-label={`Select ${t.title}`} checked={selected.has(t.id)} onChange={() => toggle(t.id)} className="h-4 w-4 accent-brand-600" />
            ),
            className: 'w-8',
          },
        ]
      : []),
    {
      key: 'title',
      header: 'Task',
      cell: (t) => (
        <div className="min-w-0 space-y-1">
          <Link to={`/ops/tasks/${t.id}`} className={t.status === 'done' || t.status === 'cancelled' ? 'font-medium text-slate-500 line-through' : 'font-medium text-slate-900 hover:text-brand-700'}>
            {t.title}
          </Link>
          <div className="flex flex-wrap items-center gap-1.5">
            <BlockedBadge task={t} />
            <SubtaskProgress counts={t.subtasks} />
            {t.tags.map((tag) => (
              <Badge key={tag}>#{tag}</Badge>
            ))}
            {t.category && <span className="text-xs text-slate-500">{t.category}</span>}
          </div>
        </div>
      ),
    },
    { key: 'status', header: 'Status', cell: (t) => <StatusBadge status={t.status} /> },
    { key: 'priority', header: 'Priority', cell: (t) => <PriorityBadge priority={t.priority} /> },
    { key: 'due', header: 'Due', cell: (t) => (t.due_at ? <DueBadge task={t} /> : <span className="text-slate-400">—</span>) },
    {
      key: 'assignee',
      header: 'Assignee',
      cell: (t) =>
        t.assignee_id ? (
          <span className="text-sm text-slate-700">{t.assignee_id === me.data?.id ? 'You' : (names.get(t.assignee_id) ?? 'Former member')}</span>
        ) : (
          <span className="text-sm text-slate-400">Unassigned</span>
        ),
    },
  ];

  return (
    <div className="space-y-5">
      <PageHeader title="Tasks" description="Everything your team has to do, with AI help to decide what comes first." />
      <div className="grid gap-5 lg:grid-cols-2">
        <NextActionCard writer={writer} />
        <AutomationSuggestions writer={writer} />
      </div>
      {writer && <QuickAdd />}
      <FilterBar filters={filters} members={members.data ?? []} onChange={change} />
      {writer && <BulkBar ids={[...selected]} members={members.data ?? []} onDone={() => setSelected(new Set())} />}
      <Card padded={false}>
        {tasks.isPending ? (
          <div className="flex justify-center py-10">
            <Spinner label="Loading tasks" />
          </div>
        ) : tasks.isError ? (
          <ProblemAlert className="m-3" error={tasks.error} title="Could not load tasks" />
        ) : rows.length === 0 ? (
          <EmptyState
            className="m-4"
            icon={<IconList className="h-6 w-6" />}
            title={activeFilterCount(filters) > 0 ? 'No task matches these filters' : 'No tasks yet'}
            description={writer ? 'Add one above in plain words — dates, priority, assignee and #tags are read for you.' : 'Tasks your team adds appear here.'}
          />
        ) : (
          <div className="p-2" aria-busy={tasks.isFetching || undefined}>
            <Table caption="Tasks" columns={columns} rows={rows} rowKey={(t) => t.id} />
            <Pager
              label="Task pages"
              total={tasks.data.total}
              limit={PAGE_SIZE}
              offset={filters.page * PAGE_SIZE}
              onChange={(offset) => {
                setSelected(new Set());
                setParams(searchFromFilters({ ...filters, page: Math.floor(offset / PAGE_SIZE) }));
              }}
            />
          </div>
        )}
      </Card>
    </div>
  );
}
