import { Link } from 'react-router';
import { Button, ProblemAlert } from '../../../components';
import { formatDateTime } from '../../../lib/format';
import { canWrite, useRole } from '../../auth/session';
import { SeverityBadge } from '../badges';
import { useAcknowledgeAlert } from '../hooks';
import type { Alert } from '../types';

/** Alerts newest first, each with a link to its issue or device and (for writers) an acknowledge button. */
export function AlertList({ alerts, label }: { alerts: Alert[]; label: string }) {
  const acknowledge = useAcknowledgeAlert();
  const writer = canWrite(useRole());
  return (
    <>
      <ProblemAlert error={acknowledge.error} title="Could not acknowledge the alert" className="mb-3" />
      <ul aria-label={label} className="divide-y divide-slate-100">
        {alerts.map((alert) => (
          <li key={alert.id} aria-label={alert.title} className="flex flex-wrap items-start justify-between gap-3 py-3">
            <div className="min-w-0 flex-1 space-y-1">
              <div className="flex flex-wrap items-center gap-2">
                <SeverityBadge severity={alert.severity} />
                {alert.issue_id ? (
                  <Link to={`/security/issues/${alert.issue_id}`} className="font-medium text-slate-900 hover:text-brand-700">
                    {alert.title}
                  </Link>
                ) : alert.device_id ? (
                  <Link to={`/security/devices/${alert.device_id}`} className="font-medium text-slate-900 hover:text-brand-700">
                    {alert.title}
                  </Link>
                ) : (
                  <span className="font-medium text-slate-900">{alert.title}</span>
                )}
              </div>
              {alert.body && <p className="text-sm text-slate-600">{alert.body}</p>}
              <p className="text-xs text-slate-500">
                {formatDateTime(alert.created_at)}
                {alert.acknowledged_at && ` · acknowledged ${formatDateTime(alert.acknowledged_at)}`}
              </p>
            </div>
            {writer && !alert.acknowledged_at && (
              <Button
                size="sm"
                variant="secondary"
                loading={acknowledge.isPending && acknowledge.variables === alert.id}
                onClick={() => acknowledge.mutate(alert.id)}
                aria-label={`Acknowledge ${alert.title}`}
              >
                Acknowledge
              </Button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
