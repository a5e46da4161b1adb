import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { server } from '../../../test/server';
import { OPS_URL, signedInAs } from '../shared/testing';
import type { Schedule, WorkingHoursOut } from './types';
import { dailyLoad, segments, weekOf } from './week';
import { addDays, dayLabel, instantOf, mondayOf, wallClock } from './zone';
import { instantFromLocal } from './BusyTime';
import { weekProblems } from './WorkingHoursEditor';

beforeAll(async () => {
  await import('./SchedulePage');
}, 30_000);

const slow = { timeout: 4000 };
/** Whole-shell renders: generous under a loaded machine (the whole suite runs in parallel). */
const UI = { timeout: 15_000 };
const ZONE = 'America/New_York';
const nineToFive = { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']], sat: [], sun: [] } as WorkingHoursOut['week'];

describe('zones and the week', () => {
  it('finds wall-clock times and midnights in another zone, across a DST change', () => {
    // 2026-03-08 is the spring-forward Sunday in New York: that day has 23 hours.
    expect(instantOf('2026-03-08', 0, ZONE).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(instantOf('2026-03-09', 0, ZONE).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(wallClock(new Date('2026-03-09T13:30:00Z'), ZONE)).toEqual({ date: '2026-03-09', minutes: 9 * 60 + 30, weekday: 0 });
    expect(mondayOf(new Date('2026-03-08T12:00:00Z'), ZONE)).toBe('2026-03-02');
    expect(instantFromLocal('2026-03-10T14:15', ZONE)).toBe('2026-03-10T18:15:00.000Z');
  });

  it('cuts an overnight interval at midnight and adds up the load per day', () => {
    const week = weekOf('2026-03-09', ZONE);
    const overnight = segments('x', new Date('2026-03-10T02:00:00Z'), new Date('2026-03-10T06:00:00Z'), week, ZONE);
    expect(overnight.map(({ day, start, end }) => [day, start, end])).toEqual([
      [0, 22 * 60, 24 * 60],
      [1, 0, 2 * 60],
    ]);
    const schedule = {
      timezone: ZONE,
      blocks: [{ task_id: 't', title: 'T', priority: 'high', start: '2026-03-10T13:00:00Z', end: '2026-03-10T15:00:00Z', chunk: 1, chunks: 1, at_risk: false, unassigned: false }],
      busy: [{ id: 'b', source: 'busy_block', title: 'Lunch', start: '2026-03-10T16:00:00Z', end: '2026-03-10T17:00:00Z' }],
    } as Schedule;
    const load = dailyLoad(schedule, { week: nineToFive }, week, new Date('2026-03-10T14:00:00Z'));
    expect(load[0]).toEqual({ date: '2026-03-09', scheduled: 0, available: 0 }); // the past
    expect(load[1]).toEqual({ date: '2026-03-10', scheduled: 120, available: 7 * 60 - 60 }); // from 10:00, less lunch
    expect(load[2]!.available).toBe(8 * 60);
    expect(load[5]!.available).toBe(0); // Saturday off
  });

  it('checks working windows before saving', () => {
    expect(weekProblems({ mon: [['09:00', '12:00'], ['11:00', '17:00']], tue: [['17:00', '09:00']] })).toEqual([
      'Monday: 11:00–17:00 overlaps another window.',
      'Tuesday: 17:00–09:00 ends before it starts.',
    ]);
  });
});

/** A week with two planned tasks and a calendar event, served with everything the page asks for. */
function serveWeek() {
  const monday = mondayOf(new Date(), ZONE);
  const at = (day: number, hhmm: string) => {
    const [h, m] = hhmm.split(':').map(Number) as [number, number];
    return instantOf(addDays(monday, day), h * 60 + m, ZONE).toISOString();
  };
  const schedule: Schedule = {
    user_id: 'u1',
    timezone: ZONE,
    start: at(0, '00:00'),
    end: at(7, '00:00'),
    generated_at: at(0, '00:00'),
    blocks: [
      { task_id: 't-roast', title: 'Roast for Café Nero', priority: 'urgent', start: at(1, '09:00'), end: at(1, '10:30'), chunk: 1, chunks: 1, at_risk: true, unassigned: false },
      { task_id: 't-news', title: 'Write the newsletter', priority: 'low', start: at(2, '14:00'), end: at(2, '15:00'), chunk: 1, chunks: 2, at_risk: false, unassigned: true },
    ],
    tasks: [
      { task_id: 't-roast', title: 'Roast for Café Nero', priority: 'urgent', status: 'todo', due_at: at(1, '10:00'), estimate_minutes: 90, scheduled_minutes: 90, planned_start: at(1, '09:00'), planned_finish: at(1, '10:30'), state: 'scheduled', at_risk: true, risk: 'capacity', note: 'Not enough free working time before its due date.', unassigned: false, blocked_by: [] },
      { task_id: 't-news', title: 'Write the newsletter', priority: 'low', status: 'todo', due_at: null, estimate_minutes: 600, scheduled_minutes: 60, planned_start: at(2, '14:00'), planned_finish: null, state: 'partial', at_risk: false, risk: null, note: 'No room for it in the window.', unassigned: true, blocked_by: [] },
    ],
    busy: [{ id: 'cal-1', source: 'calendar', title: 'Supplier call', start: at(1, '11:00'), end: at(1, '12:00') }],
    utilisation: { available_minutes: 2400, scheduled_minutes: 150, ratio: 0.0625 },
    cycles: [],
  };
  const asked: URLSearchParams[] = [];
  let feeds = 0;
  const busyPosted: unknown[] = [];
  server.use(
    http.get(`${OPS_URL}/working-hours`, () => HttpResponse.json({ timezone: ZONE, week: nineToFive, min_chunk_minutes: 30, is_default: false, feed_active: false })),
    http.get(`${OPS_URL}/schedule`, ({ request }) => {
      asked.push(new URL(request.url).searchParams);
      return HttpResponse.json(schedule);
    }),
    http.post(`${OPS_URL}/schedule/feed`, () => {
      feeds += 1;
      return HttpResponse.json({ url: 'https://ops.example/api/modules/ops-copilot/schedule/feed/s3cret.ics' });
    }),
    http.post(`${OPS_URL}/busy-blocks`, async ({ request }) => {
      const body = (await request.json()) as Record<string, string>;
      busyPosted.push(body);
      return HttpResponse.json({ id: 'bb-1', ...body }, { status: 201 });
    }),
  );
  return { monday, at, asked, busyPosted, feeds: () => feeds };
}

describe('Schedule page', UI, () => {
  it('draws the week: blocks by priority in their day, busy time, at-risk and unscheduled tasks', async () => {
    signedInAs('member');
    const { monday, at, asked } = serveWeek();
    renderApp('/ops/schedule');

    const roast = await screen.findByRole('link', { name: 'Roast for Café Nero, 09:00–10:30, Urgent priority, at risk' }, slow);
    expect(asked[0]!.get('from')).toBe(at(0, '00:00'));
    expect(asked[0]!.get('to')).toBe(at(7, '00:00'));
    expect(screen.getByRole('link', { name: 'Schedule' }).getAttribute('aria-current')).toBe('page');

    // Each block sits in its day's column, coloured by priority, linking to its task.
    const tuesday = roast.closest('[role="group"]')!;
    expect(tuesday.getAttribute('aria-label')).toBe(dayLabel(addDays(monday, 1), 'long'));
    expect(roast.getAttribute('href')).toBe('/ops/tasks/t-roast');
    expect(roast.className).toContain('bg-red-100');
    const news = screen.getByRole('link', { name: 'Write the newsletter, 14:00–15:00, Low priority, part 1 of 2' });
    expect(news.closest('[role="group"]')!.getAttribute('aria-label')).toBe(dayLabel(addDays(monday, 2), 'long'));
    expect(news.className).toContain('bg-slate-100');
    expect(within(tuesday as HTMLElement).getByRole('note', { name: 'Busy: Supplier call, 11:00–12:00 (calendar)' })).toBeTruthy();

    const risky = screen.getByRole('list', { name: 'At risk' });
    expect(within(risky).getByText('Not enough time')).toBeTruthy();
    expect(within(risky).getByText('Not enough free working time before its due date.')).toBeTruthy();
    const unplanned = screen.getByRole('list', { name: 'Not scheduled' });
    expect(within(unplanned).getByText('Write the newsletter')).toBeTruthy();
    expect(within(unplanned).getByText(/1 h of 10 h planned/)).toBeTruthy();
    expect(screen.getByText('6%')).toBeTruthy();
    expect(screen.getByRole('figure', { name: 'Planned and free hours per day' })).toBeTruthy();
  });

  it('shows the feed URL once and re-plans after adding busy time', async () => {
    signedInAs('member');
    const { monday, at, asked, busyPosted, feeds } = serveWeek();
    const user = userEvent.setup({ delay: null });
    renderApp('/ops/schedule');
    await screen.findByRole('link', { name: 'Roast for Café Nero, 09:00–10:30, Urgent priority, at risk' }, slow);

    await user.click(screen.getByRole('button', { name: 'Subscribe (.ics)' }));
    const dialog = await screen.findByRole('dialog', { name: 'Subscribe to your schedule' });
    expect(((await within(dialog).findByLabelText('Your private feed URL')) as HTMLInputElement).value).toBe('https://ops.example/api/modules/ops-copilot/schedule/feed/s3cret.ics');
    expect(feeds()).toBe(1);
    await user.click(within(dialog).getByRole('button', { name: 'Done' }));

    // New busy time is read in the calendar's zone and re-plans the week.
    const form = screen.getByRole('form', { name: 'Add busy time' });
    await user.type(within(form).getByLabelText('What'), 'Dentist');
    await user.type(within(form).getByLabelText('From'), `${addDays(monday, 3)}T08:00`);
    await user.type(within(form).getByLabelText('Until'), `${addDays(monday, 3)}T09:30`);
    const before = asked.length;
    await user.click(within(form).getByRole('button', { name: 'Add busy time' }));
    await waitFor(() => expect(busyPosted).toEqual([{ title: 'Dentist', starts_at: at(3, '08:00'), ends_at: at(3, '09:30') }]));
    await waitFor(() => expect(asked.length).toBeGreaterThan(before));
  });
});
