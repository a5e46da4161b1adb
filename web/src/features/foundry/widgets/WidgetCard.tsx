import { useRef, useState, type ReactNode } from 'react';
import { Spinner } from '../../../components';
import { errorMessage } from '../../../api/problem';
import { cn } from '../../../lib/cn';
import { downloadFile, type QueryParams } from '../api';
import type { QueryResult, WidgetDataOut } from '../types';
import { type AnyWidget, type DrillHandler, type WidgetContext } from './context';
import { WidgetBody } from './WidgetBody';

interface WidgetCardProps {
  widget: AnyWidget;
  /** undefined while loading. */
  data: WidgetDataOut | { result: QueryResult | null; error?: Record<string, unknown> | null } | undefined;
  context: WidgetContext;
  onDrill?: DrillHandler;
  /** Header controls in place of the view's (the builder's move/edit/remove buttons). */
  controls?: ReactNode;
  /** Loading or failing for a reason outside the widget (the preview query). */
  loading?: boolean;
  error?: unknown;
  /** Offer CSV/XLSX downloads of the widget's data. */
  exportFrom?: { dashboardId: string; widgetId: string; params: QueryParams };
  className?: string;
}

function problemText(problem: Record<string, unknown>): string {
  const detail = problem.detail;
  const title = problem.title;
  return typeof detail === 'string' && detail ? detail : typeof title === 'string' ? title : 'This widget could not be computed.';
}

/** One widget: its title, its data as a chart, or its own loading, empty or error state. */
export function WidgetCard({ widget, data, context, onDrill, controls, loading, error, exportFrom, className }: WidgetCardProps) {
  let body: ReactNode;
  if (error) {
    body = <WidgetProblem text={errorMessage(error)} />;
  } else if (data === undefined || (loading && !data.result)) {
    body = (
      <div className="flex h-full items-center justify-center">
        <Spinner size="sm" label={`Loading ${widget.title}`} />
      </div>
    );
  } else if (data.error || !data.result) {
    body = <WidgetProblem text={data.error ? problemText(data.error) : 'No data.'} />;
  } else {
    body = <WidgetBody widget={widget} result={data.result} context={context} onDrill={onDrill} />;
  }
  return (
    <section aria-label={widget.title} className={cn('flex h-full min-h-0 flex-col rounded-xl bg-white shadow-sm ring-1 ring-slate-200', className)}>
      <header className="flex items-center gap-2 px-4 pt-3">
        <h3 className="min-w-0 flex-1 truncate text-sm font-semibold text-slate-700" title={widget.title}>
          {widget.title}
        </h3>
        {controls}
        {!controls && exportFrom && <ExportMenu title={widget.title} {...exportFrom} />}
      </header>
      <div className="min-h-0 flex-1 overflow-hidden px-4 pb-3 pt-2">{body}</div>
    </section>
  );
}

function WidgetProblem({ text }: { text: string }) {
  return (
    <div role="alert" className="flex h-full items-center justify-center rounded-lg bg-red-50/60 px-3 text-center text-xs text-red-700">
      {text}
    </div>
  );
}

function ExportMenu({ title, dashboardId, widgetId, params }: { title: string; dashboardId: string; widgetId: string; params: QueryParams }) {
  const [failed, setFailed] = useState<string | null>(null);
  const menu = useRef<HTMLDetailsElement>(null);
  const download = (format: 'csv' | 'xlsx') => {
    setFailed(null);
    const path = `/dashboards/${dashboardId}/widgets/${widgetId}/export`;
    downloadFile(path, { ...params, format }, `${title}.${format}`).then(
      () => menu.current?.removeAttribute('open'),
      (e: unknown) => setFailed(errorMessage(e)),
    );
  };
  return (
    <details ref={menu} className="relative">
      <summary className="cursor-pointer list-none rounded-md px-1.5 py-0.5 text-slate-400 hover:bg-slate-100 hover:text-slate-700" aria-label={`Download ${title}`}>
        <span aria-hidden="true">⋯</span>
      </summary>
      <div className="absolute right-0 z-20 mt-1 w-40 rounded-lg bg-white py-1 text-sm shadow-lg ring-1 ring-slate-200">
        <button type="button" className="block w-full px-3 py-1.5 text-left hover:bg-slate-50" onClick={() => download('csv')}>
          Download CSV
        </button>
        <button type="button" className="block w-full px-3 py-1.5 text-left hover:bg-slate-50" onClick={() => download('xlsx')}>
          Download Excel
        </button>
        {failed && <p className="px-3 py-1 text-xs text-red-700">{failed}</p>}
      </div>
    </details>
  );
}
