/** The week view's geometry: blocks, busy time and working hours cut into day columns, per zone. */
import type { BusyInterval, Schedule, ScheduleBlock, Weekday, WorkingHours } from './types';
import { WEEKDAYS } from './types';
import { addDays, instantOf, parseHhmm, wallClock } from './zone';

const DAY_MINUTES = 24 * 60;

export interface Segment<T> {
  item: T;
  day: number;
  /** Wall-clock minutes in the day, [start, end). */
  start: number;
  end: number;
}

export interface Week {
  days: string[];
  /** Instants bounding the week: the Monday's midnight to the next Monday's, in the zone. */
  from: Date;
  to: Date;
}

export function weekOf(monday: string, zone: string): Week {
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  return { days, from: instantOf(monday, 0, zone), to: instantOf(addDays(monday, 7), 0, zone) };
}

/** An interval cut at each midnight it crosses, as wall-clock minutes per day of the week. */
export function segments<T>(item: T, start: Date, end: Date, week: Week, zone: string): Segment<T>[] {
  const out: Segment<T>[] = [];
  week.days.forEach((date, day) => {
    const dayStart = instantOf(date, 0, zone);
    const dayEnd = instantOf(addDays(date, 1), 0, zone);
    if (end <= dayStart || start >= dayEnd) return;
    const from = start <= dayStart ? 0 : wallClock(start, zone).minutes;
    const to = end >= dayEnd ? DAY_MINUTES : wallClock(end, zone).minutes;
    if (to > from) out.push({ item, day, start: from, end: to });
  });
  return out;
}

export function blockSegments(schedule: Schedule, week: Week): Segment<ScheduleBlock>[] {
  return schedule.blocks.flatMap((b) => segments(b, new Date(b.start), new Date(b.end), week, schedule.timezone));
}

export function busySegments(schedule: Schedule, week: Week): Segment<BusyInterval>[] {
  return schedule.busy.flatMap((b) => segments(b, new Date(b.start), new Date(b.end), week, schedule.timezone));
}

/** Working windows per day of the week, in minutes ("24:00" is the day's end). */
export function workingSpans(hours: Pick<WorkingHours, 'week'>, week: Week): [number, number][][] {
  return week.days.map((_, i) => (hours.week[WEEKDAYS[i] as Weekday] ?? []).map(([s, e]) => [parseHhmm(s), parseHhmm(e)] as [number, number]));
}

function overlap(a: [number, number], b: [number, number]): number {
  return Math.max(0, Math.min(a[1], b[1]) - Math.max(a[0], b[0]));
}

function merged(spans: [number, number][]): [number, number][] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const span of sorted) {
    const lastSpan = out[out.length - 1];
    if (lastSpan && span[0] <= lastSpan[1]) lastSpan[1] = Math.max(lastSpan[1], span[1]);
    else out.push([...span]);
  }
  return out;
}

export interface DayLoad {
  date: string;
  /** Minutes of planned work that day. */
  scheduled: number;
  /** Free working minutes from now on that day: working hours less busy time. */
  available: number;
}

/** Planned against free working time, per day: past time counts as neither. */
export function dailyLoad(schedule: Schedule, hours: Pick<WorkingHours, 'week'>, week: Week, now: Date): DayLoad[] {
  const zone = schedule.timezone;
  const here = wallClock(now, zone);
  const working = workingSpans(hours, week);
  const busy = busySegments(schedule, week);
  const blocks = blockSegments(schedule, week);
  return week.days.map((date, day) => {
    const floor = date < here.date ? DAY_MINUTES : date === here.date ? here.minutes : 0;
    const busyToday = merged(busy.filter((s) => s.day === day).map((s) => [s.start, s.end]));
    let available = 0;
    for (const window of working[day] ?? []) {
      const open: [number, number] = [Math.max(window[0], floor), window[1]];
      if (open[1] <= open[0]) continue;
      available += open[1] - open[0] - busyToday.reduce((sum, b) => sum + overlap(open, b), 0);
    }
    const scheduled = blocks.filter((s) => s.day === day).reduce((sum, s) => sum + (s.end - s.start), 0);
    return { date, scheduled, available: Math.max(0, available) };
  });
}

/** The hours the grid shows: working hours and everything placed, 08:00–18:00 at least. */
export function visibleHours(hours: Pick<WorkingHours, 'week'>, week: Week, extra: Segment<unknown>[]): [number, number] {
  let first = 8 * 60;
  let lastMinute = 18 * 60;
  for (const spans of workingSpans(hours, week)) {
    for (const [s, e] of spans) {
      first = Math.min(first, s);
      lastMinute = Math.max(lastMinute, e);
    }
  }
  for (const s of extra) {
    first = Math.min(first, s.start);
    lastMinute = Math.max(lastMinute, s.end);
  }
  return [Math.floor(first / 60), Math.ceil(lastMinute / 60)];
}
