import { Link } from 'react-router';
import { cn } from '../../../lib/cn';
import { PRIORITY_COLOURS, PRIORITY_LABELS } from '../shared/labels';
import type { Schedule, WorkingHours } from './types';
import { blockSegments, busySegments, visibleHours, workingSpans, type Week } from './week';
import { dayLabel, hhmm, wallClock } from './zone';

const HOUR_PX = 44;

interface WeekViewProps {
  schedule: Schedule;
  hours: Pick<WorkingHours, 'week'>;
  week: Week;
  now: Date;
}

/** Seven day columns by the hour: planned work coloured by priority, busy time greyed, off-hours shaded. */
export function WeekView({ schedule, hours, week, now }: WeekViewProps) {
  const zone = schedule.timezone;
  const blocks = blockSegments(schedule, week);
  const busy = busySegments(schedule, week);
  const working = workingSpans(hours, week);
  const [h0, h1] = visibleHours(hours, week, blocks);
  const top = h0 * 60;
  const bottom = h1 * 60;
  const y = (minutes: number) => ((Math.min(Math.max(minutes, top), bottom) - top) / 60) * HOUR_PX;
  const height = (h1 - h0) * HOUR_PX;
  const today = wallClock(now, zone);
  const hoursShown = Array.from({ length: h1 - h0 }, (_, i) => h0 + i);

  return (
    <div className="overflow-x-auto">
      <div className="grid min-w-[760px] grid-cols-[3.5rem_repeat(7,minmax(0,1fr))]">
        <div />
        {week.days.map((date) => (
          <div key={date} className={cn('border-b border-slate-200 px-2 py-2 text-center text-xs font-semibold', date === today.date ? 'text-brand-700' : 'text-slate-600')}>
            {dayLabel(date)}
          </div>
        ))}
        <div className="relative" style={{ height }} aria-hidden="true">
          {hoursShown.map((h) => (
            <span key={h} className="absolute right-2 -translate-y-1/2 text-[10px] text-slate-400" style={{ top: (h - h0) * HOUR_PX }}>
              {h === h0 ? '' : hhmm(h * 60)}
            </span>
          ))}
        </div>
        {week.days.map((date, day) => (
          <div key={date} role="group" aria-label={dayLabel(date, 'long')} className="relative border-l border-slate-200 bg-slate-50" style={{ height }}>
            {(working[day] ?? []).map(([s, e]) => (
              <div key={`w${s}`} aria-hidden="true" className="absolute inset-x-0 bg-white" style={{ top: y(s), height: y(e) - y(s) }} />
            ))}
            {hoursShown.map((h) => (
              <div key={h} aria-hidden="true" className="absolute inset-x-0 border-t border-slate-100" style={{ top: (h - h0) * HOUR_PX }} />
            ))}
            {date === today.date && today.minutes >= top && today.minutes <= bottom && (
              <div aria-hidden="true" className="absolute inset-x-0 z-20 border-t-2 border-red-400" style={{ top: y(today.minutes) }} />
            )}
            {busy
              .filter((s) => s.day === day && s.end > top && s.start < bottom)
              .map((s) => {
                const label = `Busy${s.item.title ? `: ${s.item.title}` : ''}, ${hhmm(s.start)}–${hhmm(s.end)}${s.item.source === 'calendar' ? ' (calendar)' : ''}`;
                return (
                  <div
                    key={`${s.item.id}-${s.day}`}
                    role="note"
                    aria-label={label}
                    title={label}
                    className="absolute inset-x-1 z-10 overflow-hidden rounded-md bg-slate-300/70 px-1.5 py-0.5 text-[11px] text-slate-700 [background-image:repeating-linear-gradient(45deg,transparent,transparent_6px,rgba(255,255,255,.35)_6px,rgba(255,255,255,.35)_12px)]"
                    style={{ top: y(s.start), height: Math.max(y(s.end) - y(s.start), 14) }}
                  >
                    {s.item.title ?? 'Busy'}
                  </div>
                );
              })}
            {blocks
              .filter((s) => s.day === day && s.end > top && s.start < bottom)
              .map((s) => {
                const b = s.item;
                const part = b.chunks > 1 ? `, part ${b.chunk} of ${b.chunks}` : '';
                const label = `${b.title}, ${hhmm(s.start)}–${hhmm(s.end)}, ${PRIORITY_LABELS[b.priority]} priority${part}${b.at_risk ? ', at risk' : ''}`;
                return (
                  <Link
                    key={`${b.task_id}-${b.chunk}-${s.day}`}
                    to={`/ops/tasks/${b.task_id}`}
                    aria-label={label}
                    title={label}
                    data-priority={b.priority}
                    className={cn(
                      'absolute inset-x-1 z-10 overflow-hidden rounded-md px-1.5 py-0.5 text-[11px] leading-tight ring-1 ring-inset hover:brightness-95',
                      PRIORITY_COLOURS[b.priority].block,
                      b.at_risk && 'ring-2 ring-red-500',
                    )}
                    style={{ top: y(s.start), height: Math.max(y(s.end) - y(s.start), 14) }}
                  >
                    <span className="block truncate font-medium">
                      {b.at_risk && '⚠ '}
                      {b.title}
                    </span>
                    <span className="block truncate opacity-75">
                      {hhmm(s.start)}–{hhmm(s.end)}
                      {b.chunks > 1 && ` · ${b.chunk}/${b.chunks}`}
                    </span>
                  </Link>
                );
              })}
          </div>
        ))}
      </div>
    </div>
  );
}
