import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Button, Card, EmptyState, ProblemAlert, QueryView, Select } from '../../components';
import { IconChart } from '../../components/Icons';
import { errorMessage } from '../../api/problem';
import { canWrite, useRole } from '../auth/session';
import { downloadFile, overrideParams } from './api';
import { CompareSelect, DateRangePicker, FilterBar } from './DashboardControls';
import { DrillDownDialog, type DrillRequest } from './DrillDownDialog';
import { formatRange } from './format';
import { useCatalog, useDashboard, useDashboardData, useDashboards } from './hooks';
import { ForecastPanel } from './insights/ForecastPanel';
import { InsightsFeed } from './insights/InsightsFeed';
import type { DashboardOut, MetricOut } from './types';
import { useDashboardViewState } from './viewState';
import type { WidgetContext } from './widgets/context';
import { WidgetGrid } from './widgets/WidgetGrid';

/** A dashboard by id: the period/comparison/filter controls, its widgets, drill-down and, below, insights. */
export function DashboardView({ dashboardId }: { dashboardId: string }) {
  const dashboard = useDashboard(dashboardId);
  return (
    <QueryView query={dashboard} loadingLabel="Loading the dashboard" errorTitle="Could not load the dashboard">
      {(loaded) => <LoadedDashboard dashboard={loaded} />}
    </QueryView>
  );
}

function LoadedDashboard({ dashboard }: { dashboard: DashboardOut }) {
  const writer = canWrite(useRole());
  const catalog = useCatalog();
  const state = useDashboardViewState(dashboard);
  // The viewer's filters go with the data call only when they differ from the saved ones, so an
  // untouched dashboard shares the server's cached answer.
  const filtered = JSON.stringify(state.view.filters) !== JSON.stringify(dashboard.filters);
  const data = useDashboardData(dashboard.id, state.overrides, filtered ? state.view.filters : null);
  const [drill, setDrill] = useState<DrillRequest | null>(null);
  const [pdfError, setPdfError] = useState<string | null>(null);
  const [pdfBusy, setPdfBusy] = useState(false);
  const metrics = useMemo(() => new Map<string, MetricOut>(catalog.data?.metrics.map((m) => [m.name, m])), [catalog.data]);
  const context: WidgetContext = { filters: state.view.filters, metrics };
  // Exports show what the viewer sees: their period, comparison and filters.
  const exportParams = {
    ...overrideParams(state.overrides),
    ...(filtered ? { filters: JSON.stringify(state.view.filters) } : {}),
  };
  const currency = data.data?.widgets.find((w) => w.result?.currency)?.result?.currency ?? null;

  const downloadPdf = () => {
    setPdfError(null);
    setPdfBusy(true);
    downloadFile(`/dashboards/${dashboard.id}/export.pdf`, exportParams, `${dashboard.name}.pdf`)
      .catch((e: unknown) => setPdfError(errorMessage(e)))
      .finally(() => setPdfBusy(false));
  };

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 flex-1">
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{dashboard.name}</h1>
          {dashboard.description && <p className="mt-0.5 text-sm text-slate-500">{dashboard.description}</p>}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <DashboardSwitcher current={dashboard.id} />
          <Button variant="secondary" onClick={downloadPdf} loading={pdfBusy}>
            Download PDF
          </Button>
          {writer && (
            <Link
              to={`/foundry/dashboards/${dashboard.id}/edit`}
              className="inline-flex items-center rounded-lg bg-brand-600 px-3.5 py-2 text-sm font-medium text-white shadow-sm hover:bg-brand-700"
            >
              Edit dashboard
            </Link>
          )}
        </div>
      </div>
      {pdfError && <ProblemAlert error={new Error(pdfError)} title="Could not download the PDF" />}

      <Card padded={false}>
        <div className="flex flex-wrap items-end gap-x-4 gap-y-3 px-4 py-3">
          <DateRangePicker value={state.view.range} onChange={state.setRange} presets={catalog.data?.presets} />
          <CompareSelect value={state.view.compare} onChange={state.setCompare} />
          <p className="pb-2 text-sm text-slate-500" aria-live="polite">
            {data.data ? formatRange(data.data.range) : ''}
            {data.isFetching && data.data ? ' · updating…' : ''}
          </p>
          {state.overrides && (
            <Button variant="ghost" size="sm" className="mb-1" onClick={state.reset}>
              Reset to saved
            </Button>
          )}
        </div>
        {catalog.data && (
          <div className="border-t border-slate-100 px-4 py-2">
            <FilterBar filters={state.view.filters} onChange={state.setFilters} catalog={catalog.data} range={state.view.range} />
          </div>
        )}
      </Card>

      {dashboard.widgets.length === 0 ? (
        <EmptyState
          icon={<IconChart className="h-6 w-6" />}
          title="This dashboard has no widgets yet"
          description={writer ? 'Add KPI cards, charts, tables and maps in the editor.' : 'Members and admins of your company can add widgets.'}
          action={
            writer && (
              <Link to={`/foundry/dashboards/${dashboard.id}/edit`} className="text-sm font-medium text-brand-600 hover:text-brand-700">
                Add widgets
              </Link>
            )
          }
        />
      ) : data.isError && !data.data ? (
        <ProblemAlert error={data.error} title="Could not compute the dashboard" />
      ) : (
        <WidgetGrid
          dashboardId={dashboard.id}
          widgets={dashboard.widgets}
          data={data.data}
          context={context}
          exportParams={exportParams}
          onDrill={(widget, target, resultCurrency) =>
            setDrill({ target, filters: [...state.view.filters, ...(widget.query.filters ?? [])], currency: resultCurrency })
          }
        />
      )}

      {dashboard.template === 'sales_overview' && <ForecastPanel currency={currency} />}
      <InsightsFeed />
      {drill && <DrillDownDialog request={drill} onClose={() => setDrill(null)} />}
    </div>
  );
}

/** Jump to another dashboard of the company. */
function DashboardSwitcher({ current }: { current: string }) {
  const dashboards = useDashboards();
  const navigate = useNavigate();
  if (!dashboards.data || dashboards.data.length < 2) return null;
  return (
    <>
      <label htmlFor="dashboard-switcher" className="sr-only">
        Dashboard
      </label>
      <Select id="dashboard-switcher" className="w-auto! max-w-60" value={current} onChange={(e) => navigate(`/foundry/dashboards/${e.target.value}`)}>
        {dashboards.data.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name}
          </option>
        ))}
      </Select>
    </>
  );
}
