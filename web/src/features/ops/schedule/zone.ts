/**
 * Wall-clock arithmetic in an IANA zone with nothing but Intl: the calendar is drawn in the
 * person's working-hours zone, which need not be the browser's.
 */

export interface WallClock {
  /** YYYY-MM-DD */
  date: string;
  /** Minutes since the local midnight (0–1439). */
  minutes: number;
  /** 0 = Monday … 6 = Sunday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAY_INDEX: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

export function wallClock(instant: Date, zone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(instant)) parts[p.type] = p.value;
  const hour = Number(parts.hour) % 24;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minutes: hour * 60 + Number(parts.minute),
    weekday: WEEKDAY_INDEX[parts.weekday ?? 'Mon'] ?? 0,
  };
}

function utcOf(date: string, minutes: number): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d, 0, minutes);
}

/** The instant at `minutes` past midnight of `date` in `zone` (a gap in the clock resolves forward). */
export function instantOf(date: string, minutes: number, zone: string): Date {
  const target = utcOf(date, minutes);
  let guess = target;
  // Two corrections settle every real zone's offset, DST changes included.
  for (let i = 0; i < 2; i += 1) {
    const seen = wallClock(new Date(guess), zone);
    guess -= utcOf(seen.date, seen.minutes) - target;
  }
  return new Date(guess);
}

export function addDays(date: string, days: number): string {
  const d = new Date(utcOf(date, 0) + days * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** The Monday of the week holding `instant`, in `zone`. */
export function mondayOf(instant: Date, zone: string): string {
  const here = wallClock(instant, zone);
  return addDays(here.date, -here.weekday);
}

export function hhmm(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

export function parseHhmm(value: string): number {
  const [h, m] = value.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** "Mon 2 Mar" for a YYYY-MM-DD date (a calendar date: no zone involved). */
export function dayLabel(date: string, style: 'short' | 'long' = 'short'): string {
  return new Date(utcOf(date, 0)).toLocaleDateString(undefined, {
    timeZone: 'UTC',
    weekday: style,
    day: 'numeric',
    month: style === 'short' ? 'short' : 'long',
  });
}
