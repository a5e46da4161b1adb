/** The trigger picker: manual, a schedule (cron + zone, read back in words), an event with filter
 * rows, a webhook (URL and one-time secret after saving), or a metric crossing a threshold. */
import { useId, useMemo } from 'react';
import { Button, CopyField, Field, Input, Select, SelectField, TextField } from '../../../components';
import { ConditionRows } from './ConditionRows';
import { describeCron } from './cron';
import type { DraftTrigger } from './definition';
import { useMetricChoices } from './hooks';
import { eventLabel, TRIGGER_LABELS } from './labels';
import type { TriggerType, WorkflowOut } from './types';
import { eventHasCustomer, triggerFields } from './variables';

interface TriggerEditorProps {
  trigger: DraftTrigger;
  onChange: (change: Partial<DraftTrigger>) => void;
  events: string[];
  /** The saved workflow, for its webhook URL and (right after saving) the one-time secret. */
  saved: WorkflowOut | null;
  secret: string | null;
  onRotateSecret?: () => void;
  rotating?: boolean;
}

const TRIGGER_TYPES: TriggerType[] = ['manual', 'schedule', 'event', 'webhook', 'condition'];

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
}

export function TriggerEditor({ trigger, onChange, events, saved, secret, onRotateSecret, rotating }: TriggerEditorProps) {
  return (
    <div className="space-y-4">
      <SelectField
        label="Start this automation"
        value={trigger.type}
        onChange={(e) => onChange({ type: e.target.value as TriggerType })}
        options={TRIGGER_TYPES.map((type) => ({ value: type, label: TRIGGER_LABELS[type] }))}
      />
      {trigger.type === 'manual' && <p className="text-sm text-slate-500">It runs when someone presses “Run now” (or another automation runs it).</p>}
      {trigger.type === 'schedule' && <ScheduleFields trigger={trigger} onChange={onChange} />}
      {trigger.type === 'event' && <EventFields trigger={trigger} onChange={onChange} events={events} />}
      {trigger.type === 'webhook' && <WebhookFields trigger={trigger} onChange={onChange} saved={saved} secret={secret} onRotateSecret={onRotateSecret} rotating={rotating} />}
      {trigger.type === 'condition' && <MetricFields trigger={trigger} onChange={onChange} />}
    </div>
  );
}

type Part = Pick<TriggerEditorProps, 'trigger' | 'onChange'>;

function ScheduleFields({ trigger, onChange }: Part) {
  const zones = useMemo(timeZones, []);
  const listId = useId();
  const preview = describeCron(trigger.cron);
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <Field label="Cron (minute hour day month weekday)" error={trigger.cron.trim() && !preview ? 'Five fields, e.g. 0 9 * * 1 for Mondays at 09:00.' : null}>
        {(control) => <Input {...control} className="font-mono" value={trigger.cron} placeholder="0 9 * * 1" onChange={(e) => onChange({ cron: e.target.value })} />}
      </Field>
      <Field label="Time zone" hint="Leave empty for the organization's time zone.">
        {(control) => (
          <>
            <Input {...control} list={listId} value={trigger.timezone} placeholder="Europe/Berlin" onChange={(e) => onChange({ timezone: e.target.value })} />
            <datalist id={listId}>
              {zones.map((zone) => (
                <option key={zone} value={zone} />
              ))}
            </datalist>
          </>
        )}
      </Field>
      {preview && (
        <p className="text-sm text-slate-700 sm:col-span-2" data-testid="cron-preview">
          {preview}
          {trigger.timezone.trim() ? ` (${trigger.timezone.trim()})` : ''}
        </p>
      )}
    </div>
  );
}

function EventFields({ trigger, onChange, events }: Part & { events: string[] }) {
  const paths = [
    ...triggerFields('event', trigger.event).map((field) => `trigger.${field}`),
    ...(eventHasCustomer(trigger.event) ? ['customer.name', 'customer.email'] : []),
  ];
  const options = events.includes(trigger.event) ? events : [trigger.event, ...events];
  return (
    <div className="space-y-4">
      <SelectField label="Event" value={trigger.event} onChange={(e) => onChange({ event: e.target.value })} options={options.map((event) => ({ value: event, label: eventLabel(event) }))} />
      <ConditionRows
        label="Only when"
        rows={trigger.conditions}
        onChange={(conditions) => onChange({ conditions })}
        match={trigger.match}
        onMatch={(match) => onChange({ match })}
        paths={paths}
        newField={trigger.event === 'order.created' ? 'trigger.total' : ''}
      />
    </div>
  );
}

function WebhookFields({ trigger, onChange, saved, secret, onRotateSecret, rotating }: Part & Pick<TriggerEditorProps, 'saved' | 'secret' | 'onRotateSecret' | 'rotating'>) {
  const url = saved?.webhook_url ?? null;
  return (
    <div className="space-y-4">
      <SelectField
        label="How callers prove themselves"
        value={trigger.auth}
        onChange={(e) => onChange({ auth: e.target.value as DraftTrigger['auth'] })}
        options={[
          { value: 'hmac', label: 'HMAC-SHA256 of the body (X-Binelek-Signature: sha256=…)' },
          { value: 'secret', label: 'The secret itself (X-Binelek-Secret)' },
        ]}
      />
      {url ? <CopyField label="Webhook URL" value={url} /> : <p className="text-sm text-slate-500">The URL and its secret appear here once you save.</p>}
      {secret && (
        <div role="status" className="space-y-2 rounded-lg border border-amber-200 bg-amber-50 p-3">
          <p className="text-sm font-medium text-amber-900">Copy the secret now: it is shown only once.</p>
          <CopyField label="Webhook secret" value={secret} />
        </div>
      )}
      {url && !secret && onRotateSecret && (
        <div className="flex items-center gap-3 text-sm text-slate-500">
          <span>The secret is hidden.</span>
          <Button variant="secondary" size="sm" loading={rotating} onClick={onRotateSecret}>
            Make a new secret
          </Button>
        </div>
      )}
    </div>
  );
}

const PERIODS = ['today', 'yesterday', 'last_7_days', 'last_30_days', 'this_week', 'this_month', 'last_month'];

function MetricFields({ trigger, onChange }: Part) {
  const choices = useMetricChoices(true);
  const metrics = choices.data?.metrics ?? [];
  const presets = choices.data?.presets.length ? choices.data.presets : PERIODS;
  const metricOptions = metrics.some((m) => m.name === trigger.metric) || !trigger.metric ? metrics : [{ name: trigger.metric, label: trigger.metric }, ...metrics];
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      {metricOptions.length ? (
        <SelectField label="Metric" value={trigger.metric} onChange={(e) => onChange({ metric: e.target.value })} options={metricOptions.map((m) => ({ value: m.name, label: m.label }))} />
      ) : (
        <TextField label="Metric" value={trigger.metric} onChange={(e) => onChange({ metric: e.target.value })} />
      )}
      <SelectField
        label="Period"
        value={trigger.period}
        onChange={(e) => onChange({ period: e.target.value })}
        options={(presets.includes(trigger.period) ? presets : [trigger.period, ...presets]).map((p) => ({ value: p, label: p.replace(/_/g, ' ') }))}
      />
      <Field label="Crosses">
        {(control) => (
          <div className="flex gap-2">
            <Select {...control} className="w-auto" value={trigger.op} onChange={(e) => onChange({ op: e.target.value as DraftTrigger['op'] })} aria-label="Direction">
              <option value="gt">above (&gt;)</option>
              <option value="gte">to at least (≥)</option>
              <option value="lt">below (&lt;)</option>
              <option value="lte">to at most (≤)</option>
            </Select>
            <Input aria-label="Threshold" inputMode="decimal" value={trigger.value} onChange={(e) => onChange({ value: e.target.value })} placeholder="1000" />
          </div>
        )}
      </Field>
      <TextField label="Check every (minutes)" inputMode="numeric" value={trigger.check_every_minutes} onChange={(e) => onChange({ check_every_minutes: e.target.value })} hint="Between 5 and 1440." />
    </div>
  );
}
