import { Link, useLocation } from 'react-router';
import { cn } from '../../lib/cn';
import { ModulePage } from '../shell/ModulePage';
import { useOrganization } from '../shell/useOrganization';
import { SecurityRoutes } from './routes';

interface Tab {
  to: string;
  label: string;
}

const TABS: Tab[] = [
  { to: '/security', label: 'Overview' },
  { to: '/security/issues', label: 'Issues' },
  { to: '/security/assets', label: 'Assets' },
  { to: '/security/scans', label: 'Scans' },
  { to: '/security/devices', label: 'Devices' },
  { to: '/security/compliance', label: 'Compliance' },
  { to: '/security/alerts', label: 'Alerts' },
];

function isActive(tab: Tab, pathname: string): boolean {
  if (tab.to === '/security') return pathname === '/security' || pathname === '/security/';
  return pathname === tab.to || pathname.startsWith(`${tab.to}/`);
}

/** /security/*: the scanner's sections as tabs over the page (or the "turned off" notice). */
export function SecurityPage() {
  const org = useOrganization();
  const { pathname } = useLocation();
  const disabled = org.data !== undefined && !(org.data.modules as readonly string[]).includes('cybersecurity-scanner');
  if (disabled) return <ModulePage path="/security" emptyTitle="" emptyDescription="" />;
  return (
    <div className="space-y-5">
      <nav aria-label="Cybersecurity Scanner" className="-mt-2 flex flex-wrap items-center gap-1 border-b border-slate-200">
        <span className="mr-3 text-xs font-semibold uppercase tracking-wide text-slate-400">Security</span>
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
      <SecurityRoutes />
    </div>
  );
}
