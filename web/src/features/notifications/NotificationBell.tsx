import { useCallback, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { useDismiss } from '../../components';
import { IconBell } from '../../components/Icons';
import { cn } from '../../lib/cn';
import { formatCompactDateTime } from '../../lib/format';
import { useMarkRead, useNotifications, useNotificationStream, type NotificationItem } from './api';

const KIND_LABEL: Record<string, string> = {
  approval: 'Approval',
  automation: 'Automation',
  security: 'Security',
  marketplace: 'Price watch',
  system: 'Workspace',
};

/** The header's bell: unread count, the latest notifications, live over the stream. */
export function NotificationBell() {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  const live = useNotificationStream();
  const list = useNotifications();
  const markRead = useMarkRead();
  const unread = list.data?.unread ?? 0;

  useDismiss(ref, open, close);

  const openItem = (item: NotificationItem) => {
    setOpen(false);
    if (!item.read_at) markRead.mutate([item.id]);
  };

  return (
    <div className="relative" ref={ref} data-stream={live}>
      <button
        type="button"
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={unread ? `Notifications, ${unread} unread` : 'Notifications'}
        onClick={() => setOpen((o) => !o)}
        className="relative rounded-full p-2 text-slate-600 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-brand-600"
      >
        <IconBell className="h-5 w-5" />
        {unread > 0 && (
          <span data-testid="unread-count" className="absolute -right-0.5 -top-0.5 min-w-[1.15rem] rounded-full bg-red-600 px-1 text-center text-[0.65rem] font-semibold leading-[1.15rem] text-white">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      {open && (
        <div id={panelId} role="dialog" aria-label="Notifications" className="absolute right-0 z-40 mt-2 w-[22rem] max-w-[calc(100vw-2rem)] rounded-xl bg-white shadow-lg ring-1 ring-slate-200">
          <div className="flex items-center justify-between border-b border-slate-100 px-4 py-3">
            <p className="text-sm font-semibold text-slate-900">Notifications</p>
            <button
              type="button"
              className="text-xs font-medium text-brand-700 hover:underline disabled:text-slate-400 disabled:no-underline"
              disabled={unread === 0 || markRead.isPending}
              onClick={() => markRead.mutate(null)}
            >
              Mark all as read
            </button>
          </div>
          <ul className="max-h-[26rem] divide-y divide-slate-100 overflow-y-auto">
            {list.isPending && <li className="px-4 py-6 text-center text-sm text-slate-500">Loading…</li>}
            {list.isError && <li className="px-4 py-6 text-center text-sm text-red-700">Could not load notifications.</li>}
            {list.data?.items.length === 0 && <li className="px-4 py-6 text-center text-sm text-slate-500">You are all caught up.</li>}
            {list.data?.items.map((item) => (
              <li key={item.id}>
                <Link
                  to={item.link ?? '#'}
                  onClick={() => openItem(item)}
                  className={cn('block px-4 py-3 hover:bg-slate-50', !item.read_at && 'bg-brand-50/40')}
                >
                  <p className="flex items-center gap-2 text-xs text-slate-500">
                    {!item.read_at && <span className="h-2 w-2 rounded-full bg-brand-600" aria-label="Unread" />}
                    <span>{KIND_LABEL[item.kind] ?? item.kind}</span>
                    <span aria-hidden="true">·</span>
                    <time dateTime={item.created_at}>{formatCompactDateTime(item.created_at)}</time>
                  </p>
                  <p className="mt-0.5 text-sm font-medium text-slate-900">{item.title}</p>
                  {item.body && <p className="mt-0.5 line-clamp-2 text-xs text-slate-600">{item.body}</p>}
                </Link>
              </li>
            ))}
          </ul>
          <div className="border-t border-slate-100 px-4 py-2.5 text-right">
            <Link to="/settings/notifications" onClick={() => setOpen(false)} className="text-xs font-medium text-slate-600 hover:text-slate-900">
              Notification settings
            </Link>
          </div>
        </div>
      )}
    </div>
  );
}
