import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { ApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { Badge, Card, Meter, QueryView } from '../../components';
import { cn } from '../../lib/cn';
import { useTenantKey } from '../auth/session';

type Usage = components['schemas']['UsageOut'];
type PlanOut = components['schemas']['PlanOut'];
type MeterOut = components['schemas']['MeterOut'];
type Limits = PlanOut['limits'];

const number = new Intl.NumberFormat();
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

/** Colour of a meter's caption, the same thresholds as the bar: amber from 80 %, red when full. */
export function meterTone(percent: number | null | undefined): 'ok' | 'warning' | 'full' {
  if (percent === null || percent === undefined) return 'ok';
  return percent >= 100 ? 'full' : percent >= 80 ? 'warning' : 'ok';
}

function limitText(limit: number | null | undefined): string {
  return limit === null || limit === undefined ? 'Unlimited' : number.format(limit);
}

function MeterRow({ meter }: { meter: MeterOut }) {
  const tone = meterTone(meter.percent);
  const used = number.format(meter.used);
  const unlimited = meter.limit === null || meter.limit === undefined;
  const valueText = unlimited ? `${used}, unlimited` : `${used} of ${number.format(meter.limit ?? 0)} (${Math.round(meter.percent ?? 0)}%)`;
  return (
    <li>
      <div className="flex items-baseline justify-between gap-3 text-sm">
        <span className="font-medium text-slate-800">{meter.label}</span>
        <span className={cn('tabular-nums', tone === 'full' ? 'font-semibold text-red-700' : tone === 'warning' ? 'font-semibold text-amber-700' : 'text-slate-600')}>
          {unlimited ? `${used} · unlimited` : `${used} of ${number.format(meter.limit ?? 0)}`}
        </span>
      </div>
      {unlimited ? (
        <Meter className="mt-1.5" label={meter.label} value={0} max={1} valueText={valueText} />
      ) : (
        <Meter className="mt-1.5" label={meter.label} value={meter.used} max={meter.limit ?? 0} valueText={valueText} />
      )}
      {tone === 'full' && <p className="mt-1 text-xs font-medium text-red-700">Limit reached: new ones are refused until you free one or upgrade.</p>}
      {tone === 'warning' && <p className="mt-1 text-xs font-medium text-amber-700">Close to the limit.</p>}
    </li>
  );
}

const ROWS: { key: keyof Limits; label: string; format: (value: number | null | undefined) => string }[] = [
  { key: 'connectors', label: 'Connected apps', format: limitText },
  { key: 'ai_queries', label: 'AI queries a month', format: limitText },
  { key: 'seats', label: 'Seats', format: limitText },
  { key: 'automations', label: 'Active automations', format: limitText },
  { key: 'tracked_products', label: 'Tracked products', format: limitText },
  {
    key: 'sync_every_minutes',
    label: 'Connector syncs',
    format: (m) => (m === null || m === undefined ? '—' : m >= 1440 ? 'Daily' : m >= 60 ? `Every ${m / 60} h` : `Every ${m} min`),
  },
  {
    key: 'price_check_every_hours',
    label: 'Price checks',
    format: (h) => (h === null || h === undefined ? '—' : h >= 24 ? 'Daily' : h === 1 ? 'Hourly' : `Every ${h} h`),
  },
];

function PlanComparison({ plans, current }: { plans: PlanOut[]; current: string }) {
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <caption className="sr-only">Plans compared</caption>
        <thead>
          <tr>
            <th scope="col" className="px-3 py-2 text-left font-medium text-slate-500">
              <span className="sr-only">Limit</span>
            </th>
            {plans.map((plan) => (
              <th key={plan.name} scope="col" className={cn('px-3 py-2 text-right font-semibold', plan.name === current ? 'bg-brand-50 text-brand-800' : 'text-slate-800')}>
                {plan.label}
                {plan.name === current && <span className="block text-xs font-normal">Current plan</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {ROWS.map((row) => (
            <tr key={row.key}>
              <th scope="row" className="px-3 py-2 text-left font-medium text-slate-700">
                {row.label}
              </th>
              {plans.map((plan) => (
                <td key={plan.name} className={cn('px-3 py-2 text-right tabular-nums text-slate-700', plan.name === current && 'bg-brand-50')}>
                  {row.format(plan.limits[row.key])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function UsageBody({ usage }: { usage: Usage }) {
  const end = new Date(new Date(usage.period_end).getTime() - 1);
  return (
    <div className="space-y-6">
      <Card
        title="Plan and usage"
        description={`AI queries count from ${day.format(new Date(usage.period_start))} to ${day.format(end)} (UTC); the other meters show what exists now.`}
        actions={<Badge tone="brand">{usage.plan.label} plan</Badge>}
      >
        <ul className="space-y-5">
          {usage.meters.map((meter) => (
            <MeterRow key={meter.meter} meter={meter} />
          ))}
        </ul>
      </Card>
      <Card title="Plans" description="What each plan allows. The operator of this install changes an organization's plan.">
        <PlanComparison plans={usage.plans} current={usage.plan.name} />
      </Card>
    </div>
  );
}

/** Settings › Usage: the plan, a meter per limit, and the plans side by side. Any member may look. */
export function UsageSettings() {
  const key = useTenantKey();
  const usage = useQuery<Usage, ApiError>({
    queryKey: [...key, 'usage'],
    queryFn: () => unwrap(api.GET('/api/usage')),
  });
  return (
    <QueryView query={usage} loadingLabel="Loading usage" errorTitle="Could not load usage">
      {(data) => <UsageBody usage={data} />}
    </QueryView>
  );
}
