import { Link, useLocation } from 'react-router';
import { cn } from '../../lib/cn';
import { ModulePage } from '../shell/ModulePage';
import { useOrganization } from '../shell/useOrganization';
import { MarketplaceRoutes } from './routes';

interface Tab {
  to: string;
  label: string;
  /** Other paths that belong to the tab (a product's page is under Products). */
  also?: string;
}

const TABS: Tab[] = [
  { to: '/marketplace', label: 'Products', also: '/marketplace/products/' },
  { to: '/marketplace/competitors', label: 'Competitors' },
  { to: '/marketplace/alerts', label: 'Alerts' },
  { to: '/marketplace/discover', label: 'Discovery' },
];

function isActive(tab: Tab, pathname: string): boolean {
  if (tab.also && pathname.startsWith(tab.also)) return true;
  if (tab.to === '/marketplace') return pathname === '/marketplace' || pathname === '/marketplace/';
  return pathname === tab.to || pathname.startsWith(`${tab.to}/`);
}

/** /marketplace/*: Marketplace Intel's sections as tabs over the page (or the "turned off" notice). */
export function MarketplacePage() {
  const org = useOrganization();
  const { pathname } = useLocation();
  const disabled = org.data !== undefined && !(org.data.modules as readonly string[]).includes('marketplace-intel');
  if (disabled) return <ModulePage path="/marketplace" emptyTitle="" emptyDescription="" />;
  return (
    <div className="space-y-5">
      <nav aria-label="Marketplace Intel" className="-mt-2 flex flex-wrap items-center gap-1 border-b border-slate-200">
        <span className="mr-3 text-xs font-semibold uppercase tracking-wide text-slate-400">Marketplace</span>
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
      <MarketplaceRoutes />
    </div>
  );
}
