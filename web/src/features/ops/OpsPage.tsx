import { Link, useLocation } from 'react-router';
import { cn } from '../../lib/cn';
import { ModulePage } from '../shell/ModulePage';
import { useOrganization } from '../shell/useOrganization';
import { OpsRoutes } from './routes';

interface Tab {
  to: string;
  label: string;
}

const TABS: Tab[] = [
  { to: '/ops/tasks', label: 'Tasks' },
  { to: '/ops/board', label: 'Board' },
  { to: '/ops/schedule', label: 'Schedule' },
  { to: '/ops/automations', label: 'Automations' },
  { to: '/ops/runs', label: 'Runs' },
];

function isActive(tab: Tab, pathname: string): boolean {
  // /ops itself shows the task list.
  if (tab.to === '/ops/tasks' && (pathname === '/ops' || pathname === '/ops/')) return true;
  return pathname === tab.to || pathname.startsWith(`${tab.to}/`);
}

/** /ops/*: Ops Copilot's sections as tabs over the page (or the "turned off" notice). */
export function OpsPage() {
  const org = useOrganization();
  const { pathname } = useLocation();
  const disabled = org.data !== undefined && !(org.data.modules as readonly string[]).includes('ops-copilot');
  if (disabled) return <ModulePage path="/ops" emptyTitle="" emptyDescription="" />;
  return (
    <div className="space-y-5">
      <nav aria-label="Ops Copilot" className="-mt-2 flex flex-wrap items-center gap-1 border-b border-slate-200">
        <span className="mr-3 text-xs font-semibold uppercase tracking-wide text-slate-400">Ops Copilot</span>
        {TABS.map((tab) => {
          const active = isActive(tab, pathname);
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
      <OpsRoutes />
    </div>
  );
}
