import { useCallback, useId, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import type { Me } from '../../api/types';
import { RoleBadge, useDismiss } from '../../components';
import { IconChevronDown, IconCog, IconLock, IconLogout } from '../../components/Icons';
import { initials } from '../../lib/format';
import { signOut } from '../auth/session';

export function UserMenu({ me }: { me: Me }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const menuId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  useDismiss(ref, open, close);

  const logout = async () => {
    setBusy(true);
    await signOut(queryClient);
    navigate('/login', { replace: true });
  };

  return (
    <div className="relative" ref={ref}>
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={menuId}
        aria-label="User menu"
        onClick={() => setOpen((o) => !o)}
        className="flex items-center gap-2 rounded-full py-1 pl-1 pr-2 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-brand-600"
      >
        <span className="flex h-8 w-8 items-center justify-center rounded-full bg-brand-600 text-xs font-semibold text-white">{initials(me.full_name, me.email[0]?.toUpperCase())}</span>
        <span className="hidden max-w-[10rem] truncate text-sm font-medium text-slate-700 md:block">{me.full_name}</span>
        <IconChevronDown className="hidden h-4 w-4 text-slate-400 md:block" />
      </button>
      {open && (
        <div id={menuId} role="menu" aria-label="User" className="absolute right-0 z-40 mt-2 w-64 origin-top-right rounded-xl bg-white p-1.5 shadow-lg ring-1 ring-slate-200">
          <div className="border-b border-slate-100 px-3 py-2.5">
            <p className="truncate text-sm font-medium text-slate-900">{me.full_name}</p>
            <p className="truncate text-xs text-slate-500">{me.email}</p>
            <p className="mt-1.5 flex items-center gap-1.5 text-xs text-slate-500">
              <RoleBadge role={me.current_tenant.role} /> in {me.current_tenant.name}
            </p>
          </div>
          <Link role="menuitem" to="/settings/security" onClick={() => setOpen(false)} className="mt-1 flex items-center gap-2 rounded-lg px-3 py-2 text-sm text-slate-700 hover:bg-slate-100">
            <IconLock className="h-4 w-4" /> Account security
          </Link>
          <Link role="menuitem" to="/settings" onClick={() => setOpen(false)} className="flex items-center gap-2 rounded-lg px-3 py-2 text-sm text-slate-700 hover:bg-slate-100">
            <IconCog className="h-4 w-4" /> Settings
          </Link>
          <button role="menuitem" type="button" onClick={logout} disabled={busy} className="flex w-full items-center gap-2 rounded-lg px-3 py-2 text-sm text-red-700 hover:bg-red-50 disabled:opacity-60">
            <IconLogout className="h-4 w-4" /> {busy ? 'Logging out…' : 'Log out'}
          </button>
        </div>
      )}
    </div>
  );
}
