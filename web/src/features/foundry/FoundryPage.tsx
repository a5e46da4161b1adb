import { Link, Outlet, useLocation, useParams } from 'react-router';
import { Card, EmptyState, PageHeader, PageSpinner, QueryView } from '../../components';
import { IconChart, IconLock } from '../../components/Icons';
import { cn } from '../../lib/cn';
import { canWrite, useMe, useRole } from '../auth/session';
import { ModulePage } from '../shell/ModulePage';
import { useOrganization } from '../shell/useOrganization';
import { AskBox } from './ask/AskBox';
import { DashboardBuilder } from './builder/DashboardBuilder';
import { DashboardView } from './DashboardView';
import { useDashboards } from './hooks';
import { InsightsFeed } from './insights/InsightsFeed';
import { SegmentsPanel } from './insights/SegmentsPanel';

const TABS = [
  { to: '/foundry', label: 'Dashboards', matches: (path: string) => path === '/foundry' || path.startsWith('/foundry/dashboards') },
  { to: '/foundry/ask', label: 'Ask', matches: (path: string) => path.startsWith('/foundry/ask') },
  { to: '/foundry/insights', label: 'Insights', matches: (path: string) => path.startsWith('/foundry/insights') },
  { to: '/foundry/metrics', label: 'Metrics', matches: (path: string) => path.startsWith('/foundry/metrics') },
  { to: '/foundry/sources', label: 'Data sources', matches: (path: string) => path.startsWith('/foundry/sources') },
];

/** /foundry/*: Mini Foundry's sections as tabs over the page (or the "turned off" notice). */
export function FoundryPage() {
  const org = useOrganization();
  const { pathname } = useLocation();
  const disabled = org.data !== undefined && !(org.data.modules as readonly string[]).includes('mini-foundry');
  if (disabled) return <ModulePage path="/foundry" emptyTitle="" emptyDescription="" />;
  return (
    <div className="space-y-5">
      <nav aria-label="Mini Foundry" className="-mt-2 flex flex-wrap items-center gap-1 border-b border-slate-200">
        <span className="mr-3 text-xs font-semibold uppercase tracking-wide text-slate-400">Mini Foundry</span>
        {TABS.map((tab) => {
          const active = tab.matches(pathname);
          return (
            <Link
              key={tab.to}
              to={tab.to}
              aria-current={active ? 'page' : undefined}
              className={cn(
                '-mb-px border-b-2 px-3 py-2 text-sm font-medium',
                active ? 'border-brand-600 text-brand-700' : 'border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900',
              )}
            >
              {tab.label}
            </Link>
          );
        })}
      </nav>
      <Outlet />
    </div>
  );
}

/** /foundry: the Ask box, then the company's default dashboard (else its first). */
export function FoundryHome() {
  const dashboards = useDashboards();
  const writer = canWrite(useRole());
  return (
    <div className="space-y-6">
      <AskBox />
      <QueryView query={dashboards} loadingLabel="Loading dashboards" errorTitle="Could not load dashboards">
        {(items) => {
          const home = items.find((d) => d.is_default) ?? items[0];
          if (!home) {
            return (
              <Card>
                <EmptyState
                  icon={<IconChart className="h-6 w-6" />}
                  title="No dashboards yet"
                  description={
                    writer
                      ? 'Start from a template — Sales Overview, Customer Analytics, Inventory Status, Financial Health — or a blank page.'
                      : 'Members and admins of your company can create dashboards.'
                  }
                  action={
                    writer && (
                      <Link to="/foundry/dashboards" className="text-sm font-medium text-brand-600 hover:text-brand-700">
                        Create a dashboard
                      </Link>
                    )
                  }
                />
              </Card>
            );
          }
          return <DashboardView dashboardId={home.id} />;
        }}
      </QueryView>
    </div>
  );
}

export function DashboardRoute() {
  const { id } = useParams();
  return <DashboardView key={id} dashboardId={id!} />;
}

/** The builder, for members and admins. */
export function DashboardBuilderRoute() {
  const { id } = useParams();
  const me = useMe();
  const writer = canWrite(useRole());
  if (me.isPending) return <PageSpinner label="Loading" />;
  if (!writer) {
    return (
      <Card>
        <EmptyState
          icon={<IconLock className="h-6 w-6" />}
          title="Only members and admins can edit dashboards"
          action={
            <Link to={`/foundry/dashboards/${id}`} className="text-sm font-medium text-brand-600 hover:text-brand-700">
              Back to the dashboard
            </Link>
          }
        />
      </Card>
    );
  }
  return <DashboardBuilder key={id} dashboardId={id!} />;
}

/** /foundry/insights: what changed in the business, and the customer segments. */
export function InsightsPage() {
  return (
    <div className="space-y-6">
      <PageHeader title="Insights" description="Anomalies, trend changes, top movers and customer segments, found in your data every day." />
      <InsightsFeed />
      <SegmentsPanel />
    </div>
  );
}
