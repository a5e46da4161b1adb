import { useState, type FormEvent } from 'react';
import { Button, Card, Input, SuccessAlert, TextField } from '../../../components';
import { ProblemList } from '../shared/ProblemList';
import { useSaveWorkingHours } from './hooks';
import { WEEKDAYS, type Weekday, type Window, type WorkingHours, type WorkingHoursOut } from './types';
import { parseHhmm } from './zone';

const DAY_NAMES: Record<Weekday, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };

function zones(current: string): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return supported.includes(current) ? supported : [current, ...supported];
}

/** A time input cannot say 24:00: midnight as an end means the end of the day. */
const toInput = (value: string) => (value === '24:00' ? '00:00' : value);
const fromInput = (value: string, end: boolean) => (end && value === '00:00' ? '24:00' : value);

/** Problems the browser can see before the server does, by day. */
export function weekProblems(week: WorkingHours['week']): string[] {
  const problems: string[] = [];
  for (const day of WEEKDAYS) {
    const windows = [...(week[day] ?? [])].sort((a, b) => parseHhmm(a[0]) - parseHhmm(b[0]));
    let previousEnd = -1;
    for (const [start, end] of windows) {
      if (!start || !end) problems.push(`${DAY_NAMES[day]}: give both times.`);
      else if (parseHhmm(start) >= parseHhmm(end)) problems.push(`${DAY_NAMES[day]}: ${start}–${end} ends before it starts.`);
      else if (parseHhmm(start) < previousEnd) problems.push(`${DAY_NAMES[day]}: ${start}–${end} overlaps another window.`);
      previousEnd = Math.max(previousEnd, parseHhmm(end || '00:00'));
    }
  }
  return problems;
}

/** The person's working week, zone and smallest piece of work the planner may cut. */
export function WorkingHoursEditor({ initial }: { initial: WorkingHoursOut }) {
  const save = useSaveWorkingHours();
  const [draft, setDraft] = useState<WorkingHours>({ timezone: initial.timezone, week: initial.week, min_chunk_minutes: initial.min_chunk_minutes });
  const [saved, setSaved] = useState(false);
  const problems = weekProblems(draft.week);
  const chunkOk = Number.isInteger(draft.min_chunk_minutes) && draft.min_chunk_minutes >= 15 && draft.min_chunk_minutes <= 240;

  const setWindows = (day: Weekday, windows: Window[]) => {
    setSaved(false);
    setDraft((d) => ({ ...d, week: { ...d.week, [day]: windows } }));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (problems.length || !chunkOk) return;
    save.mutate(draft, { onSuccess: () => setSaved(true) });
  };

  return (
    <Card
      title="Working hours"
      description={initial.is_default ? 'Not set yet: Monday to Friday, 09:00–17:00 in your organization’s time zone.' : 'The planner places work only inside these hours.'}
    >
      <form onSubmit={submit} aria-label="Working hours" className="space-y-4">
        <div className="grid gap-4 sm:grid-cols-2">
          <label className="block text-sm font-medium text-slate-700">
            Time zone
            <Input list="ops-zones" className="mt-1.5" value={draft.timezone} onChange={(e) => setDraft((d) => ({ ...d, timezone: e.target.value }))} />
            <datalist id="ops-zones">
              {zones(draft.timezone).map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </label>
          <TextField
            label="Smallest piece of work (minutes)"
            type="number"
            min={15}
            max={240}
            step={5}
            value={String(draft.min_chunk_minutes)}
            error={chunkOk ? null : 'Between 15 and 240 minutes.'}
            onChange={(e) => setDraft((d) => ({ ...d, min_chunk_minutes: Number(e.target.value) }))}
          />
        </div>
        <table className="w-full text-sm">
          <caption className="sr-only">Working windows per day</caption>
          <tbody className="divide-y divide-slate-100">
            {WEEKDAYS.map((day) => {
              const windows = draft.week[day] ?? [];
              return (
                <tr key={day}>
                  <th scope="row" className="w-28 py-2 pr-3 text-left align-top font-medium text-slate-700">
                    {DAY_NAMES[day]}
                  </th>
                  <td className="py-2">
                    <div className="space-y-2">
                      {windows.length === 0 && <p className="py-1.5 text-slate-400">Day off</p>}
                      {windows.map(([start, end], i) => (
                        <div key={i} className="flex items-center gap-2">
                          <Input
                            type="time"
                            aria-label={`${DAY_NAMES[day]} window ${i + 1} starts`}
                            className="w-32"
                            value={toInput(start)}
                            onChange={(e) => setWindows(day, windows.map((w, j) => (j === i ? [e.target.value, w[1]] : w)))}
                          />
                          <span className="text-slate-400">–</span>
                          <Input
                            type="time"
                            aria-label={`${DAY_NAMES[day]} window ${i + 1} ends`}
                            className="w-32"
                            value={toInput(end)}
                            onChange={(e) => setWindows(day, windows.map((w, j) => (j === i ? [w[0], fromInput(e.target.value, true)] : w)))}
                          />
                          <Button size="sm" variant="ghost" aria-label={`Remove ${DAY_NAMES[day]} window ${i + 1}`} onClick={() => setWindows(day, windows.filter((_, j) => j !== i))}>
                            Remove
                          </Button>
                        </div>
                      ))}
                    </div>
                  </td>
                  <td className="w-24 py-2 text-right align-top">
                    <Button
                      size="sm"
                      variant="secondary"
                      aria-label={`Add a ${DAY_NAMES[day]} window`}
                      onClick={() => setWindows(day, [...windows, windows.length ? ['13:00', '17:00'] : ['09:00', '17:00']])}
                    >
                      Add
                    </Button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {problems.length > 0 && (
          <ul role="alert" className="list-disc space-y-0.5 pl-5 text-sm text-red-700">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <div className="flex items-center gap-3">
          <Button type="submit" loading={save.isPending} disabled={problems.length > 0 || !chunkOk}>
            Save working hours
          </Button>
          {saved && <SuccessAlert className="py-2">Saved. The schedule is planned again.</SuccessAlert>}
        </div>
        <ProblemList error={save.error} title="Could not save the working hours" />
      </form>
    </Card>
  );
}
