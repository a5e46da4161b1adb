import { useState } from 'react';
import { Card, Checkbox, EmptyState, PageHeader, Pager, QueryView } from '../../../components';
import { IconInbox } from '../../../components/Icons';
import { useAlerts } from '../hooks';
import { AlertList } from './AlertList';

const PAGE_SIZE = 25;

/** /security/alerts: every alert the scanner raised (new critical and high issues, expiring certificates…). */
export function AlertsPage() {
  const [offset, setOffset] = useState(0);
  const [unacknowledged, setUnacknowledged] = useState(true);
  const alerts = useAlerts({ unacknowledged: unacknowledged || undefined, limit: PAGE_SIZE, offset });
  return (
    <div className="space-y-5">
      <PageHeader title="Alerts" description="Raised when a scan finds a new critical or high issue, an issue comes back, or a certificate is about to expire." />
      <Card
        title="Alerts"
        actions={
          <Checkbox
            label="Unacknowledged only"
            checked={unacknowledged}
            onChange={(e) => {
              setUnacknowledged(e.target.checked);
              setOffset(0);
            }}
          />
        }
      >
        <QueryView query={alerts} loadingLabel="Loading alerts" errorTitle="Could not load alerts">
          {(page) =>
            page.items.length === 0 ? (
              <EmptyState icon={<IconInbox className="h-6 w-6" />} title={unacknowledged ? 'No unacknowledged alerts' : 'No alerts yet'} description="Alerts appear here after a scan finds something urgent." />
            ) : (
              <>
                <AlertList alerts={page.items} label="Alerts" />
                <Pager label="Alert pages" total={page.total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
              </>
            )
          }
        </QueryView>
      </Card>
    </div>
  );
}
