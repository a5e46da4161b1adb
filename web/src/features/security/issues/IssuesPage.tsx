import { useMemo, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Card, EmptyState, PageHeader, Pager, ProblemAlert, Spinner, Table, type Column } from '../../../components';
import { IconShield } from '../../../components/Icons';
import { formatCompactDateTime, formatDate } from '../../../lib/format';
import { IssueStatusBadge, SeverityBadge } from '../badges';
import { useIssues, useMemberNames } from '../hooks';
import { CATEGORY_LABELS, label } from '../labels';
import type { Issue } from '../types';
import { activeFilterCount, filtersFromSearch, PAGE_SIZE, queryFromFilters, searchFromFilters, type IssueFilters } from './filters';
import { IssueFilterBar } from './IssueFilterBar';

/** /security/issues: every issue the scans found, most severe first, filterable and paged. */
export function IssuesPage() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromSearch(params), [params]);
  const query = useMemo(() => queryFromFilters(filters), [filters]);
  const issues = useIssues(query);
  const names = useMemberNames();

  // The debounced search can commit just before the URL re-renders: build on the latest change.
  const latest = useRef(filters);
  const rendered = useRef(params.toString());
  if (rendered.current !== params.toString()) {
    rendered.current = params.toString();
    latest.current = filters;
  }
  const change = (patch: Partial<IssueFilters>) => {
    const next = { ...latest.current, page: 0, ...patch };
    latest.current = next;
    setParams(searchFromFilters(next), { replace: true });
  };

  const columns: Column<Issue>[] = [
    { key: 'severity', header: 'Severity', cell: (i) => <SeverityBadge severity={i.severity} /> },
    {
      key: 'title',
      header: 'Issue',
      cell: (i) => (
        <div className="min-w-0">
          <Link to={`/security/issues/${i.id}`} className="font-medium text-slate-900 hover:text-brand-700">
            {i.title}
          </Link>
          <p className="truncate text-xs text-slate-500">{i.target}</p>
        </div>
      ),
    },
    { key: 'category', header: 'Category', cell: (i) => label(CATEGORY_LABELS, i.category) },
    { key: 'status', header: 'Status', cell: (i) => <IssueStatusBadge status={i.status} /> },
    {
      key: 'assignee',
      header: 'Assignee',
      cell: (i) => (i.assignee_id ? (names.get(i.assignee_id) ?? 'Former member') : <span className="text-slate-400">Unassigned</span>),
    },
    { key: 'due', header: 'Due', cell: (i) => (i.due_at ? formatDate(i.due_at) : <span className="text-slate-400">—</span>) },
    { key: 'seen', header: 'Last seen', cell: (i) => <span title={i.last_seen_at}>{formatCompactDateTime(i.last_seen_at)}</span> },
  ];

  const rows = issues.data?.items ?? [];
  return (
    <div className="space-y-5">
      <PageHeader title="Issues" description="What the scans found wrong, most severe first. Fix it and the next scan resolves it, or accept the risk with a reason." />
      <IssueFilterBar filters={filters} onChange={change} />
      <Card padded={false}>
        {issues.isPending ? (
          <div className="flex justify-center py-10">
            <Spinner label="Loading issues" />
          </div>
        ) : issues.isError ? (
          <ProblemAlert className="m-3" error={issues.error} title="Could not load issues" />
        ) : rows.length === 0 ? (
          <EmptyState
            className="m-4"
            icon={<IconShield className="h-6 w-6" />}
            title={activeFilterCount(filters) > 0 ? 'No issue matches these filters' : 'No issues yet'}
            description={activeFilterCount(filters) > 0 ? 'Change or clear the filters.' : 'Run a scan: problems it finds are listed here.'}
          />
        ) : (
          <div className="p-2" aria-busy={issues.isFetching || undefined}>
            <Table caption="Issues" columns={columns} rows={rows} rowKey={(i) => i.id} />
            <Pager
              label="Issue pages"
              total={issues.data.total}
              limit={PAGE_SIZE}
              offset={filters.page * PAGE_SIZE}
              onChange={(offset) => setParams(searchFromFilters({ ...filters, page: Math.floor(offset / PAGE_SIZE) }))}
            />
          </div>
        )}
      </Card>
    </div>
  );
}
