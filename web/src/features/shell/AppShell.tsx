import { useEffect, useState, type ComponentType, type SVGProps } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { Button, PageSpinner, ProblemAlert, RoleBadge } from '../../components';
import { IconCog, IconDocument, IconHome, IconMenu, IconX } from '../../components/Icons';
import { cn } from '../../lib/cn';
import { useMe } from '../auth/session';
import { CommandBoxButton, CommandBoxProvider } from '../command/CommandBox';
import { NotificationBell } from '../notifications/NotificationBell';
import { Logo } from './Logo';
import { enabledModules } from './modules';
import { TenantSwitcher } from './TenantSwitcher';
import { UserMenu } from './UserMenu';
import { useOrganization } from './useOrganization';

function NavItem({ to, label, icon: Icon, end }: { to: string; label: string; icon: ComponentType<SVGProps<SVGSVGElement>>; end?: boolean }) {
  return (
    <NavLink
      to={to}
      end={end}
      className={({ isActive }) =>
        cn(
          'group flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium transition-colors',
          isActive ? 'bg-brand-50 text-brand-700' : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900',
        )
      }
    >
      <Icon className="h-5 w-5 shrink-0" />
      <span className="truncate">{label}</span>
    </NavLink>
  );
}

function Sidebar({ onNavigate }: { onNavigate?: () => void }) {
  const org = useOrganization();
  const modules = enabledModules(org.data?.modules);
  return (
    <nav aria-label="Main" className="flex h-full flex-col gap-1 px-3 py-4" onClick={(e) => (e.target as HTMLElement).closest('a') && onNavigate?.()}>
      <NavItem to="/" end label="Home" icon={IconHome} />
      <p className="mt-4 mb-1 px-3 text-xs font-semibold uppercase tracking-wider text-slate-400">Modules</p>
      {modules.map((m) => (
        <NavItem key={m.path} to={m.path} label={m.label} icon={m.icon} />
      ))}
      <p className="mt-4 mb-1 px-3 text-xs font-semibold uppercase tracking-wider text-slate-400">Knowledge</p>
      <NavItem to="/documents" label="Documents" icon={IconDocument} />
      <div className="mt-auto pt-4">
        <NavItem to="/settings" label="Settings" icon={IconCog} />
      </div>
    </nav>
  );
}

export function AppShell() {
  const me = useMe();
  const [drawer, setDrawer] = useState(false);
  const location = useLocation();
  useEffect(() => setDrawer(false), [location.pathname]);

  if (me.isPending) return <PageSpinner label="Loading your workspace" />;
  if (me.isError) {
    return (
      <div className="mx-auto max-w-md p-8">
        <ProblemAlert error={me.error} title="Could not load your account" />
        <Button className="mt-4" variant="secondary" onClick={() => void me.refetch()}>
          Try again
        </Button>
      </div>
    );
  }
  const user = me.data;

  return (
    <CommandBoxProvider>
      <div className="flex min-h-full">
        {/* Desktop sidebar */}
        <aside className="hidden w-64 shrink-0 border-r border-slate-200 bg-white lg:sticky lg:top-0 lg:flex lg:h-screen lg:flex-col lg:overflow-y-auto">
          <div className="flex h-16 items-center border-b border-slate-100 px-6">
            <Logo />
          </div>
          <Sidebar />
        </aside>

        {/* Mobile drawer */}
        {drawer && (
          <div className="fixed inset-0 z-40 lg:hidden" role="dialog" aria-modal="true" aria-label="Navigation">
            <div className="fixed inset-0 bg-slate-900/40" aria-hidden="true" onClick={() => setDrawer(false)} />
            <aside className="fixed inset-y-0 left-0 flex w-72 flex-col bg-white shadow-xl">
              <div className="flex h-16 items-center justify-between border-b border-slate-100 px-5">
                <Logo />
                <button type="button" aria-label="Close navigation" className="rounded-md p-1.5 text-slate-500 hover:bg-slate-100" onClick={() => setDrawer(false)}>
                  <IconX className="h-5 w-5" />
                </button>
              </div>
              <Sidebar onNavigate={() => setDrawer(false)} />
            </aside>
          </div>
        )}

        <div className="flex min-w-0 flex-1 flex-col">
          <header className="sticky top-0 z-30 flex h-16 items-center gap-3 border-b border-slate-200 bg-white/90 px-4 backdrop-blur sm:px-6">
            <button type="button" aria-label="Open navigation" className="rounded-md p-1.5 text-slate-600 hover:bg-slate-100 lg:hidden" onClick={() => setDrawer(true)}>
              <IconMenu className="h-6 w-6" />
            </button>
            <TenantSwitcher me={user} />
            <p className="flex min-w-0 items-center gap-2">
              <span className="sr-only">
                Current company: <span data-testid="current-tenant">{user.current_tenant.name}</span>, your role:
              </span>
              <RoleBadge role={user.current_tenant.role} />
            </p>
            <div className="ml-auto flex items-center gap-3">
              <CommandBoxButton />
              <NotificationBell />
              <UserMenu me={user} />
            </div>
          </header>
          <main className="mx-auto w-full max-w-6xl flex-1 px-4 py-8 sm:px-6 lg:px-8">
            <Outlet />
          </main>
        </div>
      </div>
    </CommandBoxProvider>
  );
}
