import { Navigate, NavLink, Outlet } from 'react-router';
import type { ReactNode } from 'react';
import { EmptyState, PageHeader, PageSpinner } from '../../components';
import { IconBell, IconBuilding, IconChart, IconKey, IconList, IconLock, IconPlug, IconSparkles, IconUsers } from '../../components/Icons';
import { cn } from '../../lib/cn';
import { useMe } from '../auth/session';

const SECTIONS = [
  { to: 'organization', label: 'Organization', icon: IconBuilding, admin: false },
  { to: 'ai', label: 'AI', icon: IconSparkles, admin: false },
  { to: 'usage', label: 'Usage', icon: IconChart, admin: false },
  { to: 'team', label: 'Team & roles', icon: IconUsers, admin: true },
  { to: 'api-keys', label: 'API keys', icon: IconKey, admin: true },
  { to: 'security', label: 'Account security', icon: IconLock, admin: false },
  { to: 'notifications', label: 'Notifications', icon: IconBell, admin: false },
  { to: 'audit-log', label: 'Audit log', icon: IconList, admin: true },
  { to: 'webhooks', label: 'Webhooks', icon: IconPlug, admin: true },
] as const;

export function SettingsLayout() {
  const me = useMe();
  const isAdmin = me.data?.current_tenant.role === 'admin';
  const sections = SECTIONS.filter((s) => isAdmin || !s.admin);
  return (
    <>
      <PageHeader title="Settings" description={me.data ? `Manage ${me.data.current_tenant.name} and your account.` : undefined} />
      <div className="flex flex-col gap-6 lg:flex-row">
        <nav aria-label="Settings" className="-mx-1 flex gap-1 overflow-x-auto pb-1 lg:mx-0 lg:w-48 lg:shrink-0 lg:flex-col lg:overflow-visible">
          {sections.map((s) => (
            <NavLink
              key={s.to}
              to={s.to}
              className={({ isActive }) =>
                cn(
                  'flex shrink-0 items-center gap-2.5 whitespace-nowrap rounded-lg px-3 py-2 text-sm font-medium',
                  isActive ? 'bg-white text-brand-700 shadow-sm ring-1 ring-slate-200' : 'text-slate-600 hover:bg-white hover:text-slate-900',
                )
              }
            >
              <s.icon className="h-4 w-4" />
              {s.label}
            </NavLink>
          ))}
        </nav>
        <div className="min-w-0 flex-1 space-y-6">
          <Outlet />
        </div>
      </div>
    </>
  );
}

export function SettingsIndex() {
  return <Navigate to="organization" replace />;
}

/** Guards admin-only sections (the server enforces this too, with 403 PERMISSION_DENIED). */
export function AdminOnly({ children }: { children: ReactNode }) {
  const me = useMe();
  if (me.isPending) return <PageSpinner />;
  if (me.data?.current_tenant.role !== 'admin') {
    return (
      <EmptyState
        icon={<IconLock className="h-6 w-6" />}
        title="Admins only"
        description="Only admins of this company can manage this section. Ask an admin if you need changes."
      />
    );
  }
  return <>{children}</>;
}
