import { useId } from 'react';
import { useNavigate } from 'react-router';
import { tenantStore } from '../../api/auth';
import type { Me } from '../../api/types';
import { IconBuilding, IconChevronDown } from '../../components/Icons';

/** Switch the current company; the choice is sent as X-Tenant-ID on every request. */
export function TenantSwitcher({ me }: { me: Me }) {
  const id = useId();
  const navigate = useNavigate();
  const onChange = (tenantId: string) => {
    if (tenantId === me.current_tenant.id) return;
    tenantStore.set(tenantId);
    navigate('/');
  };
  return (
    <div className="relative flex min-w-0 items-center">
      <label htmlFor={id} className="sr-only">
        Company
      </label>
      <IconBuilding className="pointer-events-none absolute left-2.5 h-4 w-4 text-slate-400" />
      <select
        id={id}
        value={me.current_tenant.id}
        onChange={(e) => onChange(e.target.value)}
        disabled={me.tenants.length < 2}
        title={me.tenants.length < 2 ? 'You belong to one company' : 'Switch company'}
        className="w-full min-w-0 max-w-[16rem] cursor-pointer appearance-none truncate rounded-lg border-0 bg-white py-1.5 pl-8 pr-8 text-sm font-medium text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus:ring-2 focus:ring-brand-600 focus:outline-none disabled:cursor-default disabled:hover:bg-white"
      >
        {me.tenants.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
      <IconChevronDown className="pointer-events-none absolute right-2.5 h-4 w-4 text-slate-400" />
    </div>
  );
}
