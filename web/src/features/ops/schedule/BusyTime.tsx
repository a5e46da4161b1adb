import { useState, type FormEvent } from 'react';
import { Button, Card, TextField } from '../../../components';
import { ProblemList } from '../shared/ProblemList';
import { useAddBusyBlock, useRemoveBusyBlock } from './hooks';
import type { BusyInterval } from './types';
import { instantOf, parseHhmm, wallClock, hhmm, dayLabel } from './zone';

/** A `datetime-local` value read in `zone` (the calendar's), not the browser's. */
export function instantFromLocal(value: string, zone: string): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value);
  return match ? instantOf(match[1]!, parseHhmm(match[2]!), zone).toISOString() : null;
}

function when(interval: BusyInterval, zone: string): string {
  const start = wallClock(new Date(interval.start), zone);
  const end = wallClock(new Date(interval.end), zone);
  return start.date === end.date
    ? `${dayLabel(start.date)}, ${hhmm(start.minutes)}–${hhmm(end.minutes)}`
    : `${dayLabel(start.date)} ${hhmm(start.minutes)} – ${dayLabel(end.date)} ${hhmm(end.minutes)}`;
}

/** Time the planner must keep free: add a block, remove your own (calendar events come from the calendar). */
export function BusyTime({ busy, zone }: { busy: BusyInterval[]; zone: string }) {
  const add = useAddBusyBlock();
  const remove = useRemoveBusyBlock();
  const [form, setForm] = useState({ title: '', start: '', end: '' });
  const startsAt = instantFromLocal(form.start, zone);
  const endsAt = instantFromLocal(form.end, zone);
  const order = startsAt && endsAt && endsAt <= startsAt ? 'It must end after it starts.' : null;
  const ready = form.title.trim() && startsAt && endsAt && !order;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    add.mutate({ title: form.title.trim(), starts_at: startsAt!, ends_at: endsAt! }, { onSuccess: () => setForm({ title: '', start: '', end: '' }) });
  };

  return (
    <Card title="Busy time" description={`Meetings and time off the planner works around. Times are in ${zone}.`}>
      {busy.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing busy this week.</p>
      ) : (
        <ul aria-label="Busy this week" className="divide-y divide-slate-100">
          {busy.map((b) => (
            <li key={`${b.source}-${b.id}`} className="flex items-center justify-between gap-3 py-2 text-sm">
              <div className="min-w-0">
                <p className="truncate font-medium text-slate-800">{b.title ?? 'Busy'}</p>
                <p className="text-xs text-slate-500">
                  {when(b, zone)}
                  {b.source === 'calendar' && ' · from your calendar'}
                </p>
              </div>
              {b.source === 'busy_block' && (
                <Button size="sm" variant="ghost" aria-label={`Remove ${b.title ?? 'busy time'}`} loading={remove.isPending && remove.variables === b.id} onClick={() => remove.mutate(b.id)}>
                  Remove
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit} aria-label="Add busy time" className="mt-4 grid gap-3 sm:grid-cols-[2fr_1fr_1fr_auto] sm:items-end">
        <TextField label="What" value={form.title} maxLength={300} placeholder="Supplier visit" onChange={(e) => setForm((f) => ({ ...f, title: e.target.value }))} />
        <TextField label="From" type="datetime-local" value={form.start} onChange={(e) => setForm((f) => ({ ...f, start: e.target.value }))} />
        <TextField label="Until" type="datetime-local" value={form.end} error={order} onChange={(e) => setForm((f) => ({ ...f, end: e.target.value }))} />
        <Button type="submit" variant="secondary" loading={add.isPending} disabled={!ready}>
          Add busy time
        </Button>
      </form>
      <ProblemList className="mt-3" error={add.error ?? remove.error} />
    </Card>
  );
}
