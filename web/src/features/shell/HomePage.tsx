import { Link } from 'react-router';
import { Card, PageHeader } from '../../components';
import { useMe } from '../auth/session';
import { enabledModules } from './modules';
import { useOrganization } from './useOrganization';

export function HomePage() {
  const me = useMe();
  const org = useOrganization();
  const modules = enabledModules(org.data?.modules);
  const firstName = me.data?.full_name.split(/\s+/)[0] ?? '';
  const isAdmin = me.data?.current_tenant.role === 'admin';

  return (
    <>
      <PageHeader
        title={firstName ? `Welcome, ${firstName}` : 'Welcome'}
        description={me.data ? `You're working in ${me.data.current_tenant.name}. Pick a module to get started.` : undefined}
      />
      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
        {modules.map((m) => (
          <Link key={m.path} to={m.path} className="group rounded-xl focus-visible:outline-2 focus-visible:outline-brand-600">
            <Card className="h-full transition-shadow group-hover:shadow-md group-hover:ring-brand-200">
              <div className="flex items-start gap-4">
                <span className="flex h-10 w-10 shrink-0 items-center justify-center rounded-lg bg-brand-50 text-brand-600">
                  <m.icon className="h-5 w-5" />
                </span>
                <div>
                  <h2 className="font-semibold text-slate-900">{m.label}</h2>
                  <p className="mt-1 text-sm text-slate-500">{m.description}</p>
                </div>
              </div>
            </Card>
          </Link>
        ))}
      </div>
      {isAdmin && (
        <Card className="mt-8" title="Set up your company">
          <ul className="space-y-2 text-sm">
            <li>
              <Link className="font-medium text-brand-600 hover:text-brand-700" to="/settings/team">
                Invite your team
              </Link>{' '}
              <span className="text-slate-500">— add colleagues as admins, members or viewers.</span>
            </li>
            <li>
              <Link className="font-medium text-brand-600 hover:text-brand-700" to="/settings/security">
                Turn on two-factor authentication
              </Link>{' '}
              <span className="text-slate-500">— protect your admin account.</span>
            </li>
            <li>
              <Link className="font-medium text-brand-600 hover:text-brand-700" to="/settings/organization">
                Choose your modules
              </Link>{' '}
              <span className="text-slate-500">— hide what your company doesn't use.</span>
            </li>
          </ul>
        </Card>
      )}
    </>
  );
}
