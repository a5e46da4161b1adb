/**
 * Schedule shapes, from the generated schema (`src/binelek/ops/schedule_schemas.py`), plus the
 * weekday names and time windows the working-hours editor works in.
 */
import type { components } from '../../../api/schema';

type Schemas = components['schemas'];

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/** ["09:00", "17:00"]; "24:00" ends a day. */
export type Window = [string, string];

/** A working week by weekday name (days left out have no working time). */
export type WorkingHours = Schemas['WorkingHoursIn'];
/** `is_default`: nothing saved yet (Mon–Fri 09:00–17:00 in the organization's zone). */
export type WorkingHoursOut = Schemas['WorkingHoursOut'];

export type BusyBlockIn = Schemas['BusyBlockIn'];
export type BusyBlockOut = Schemas['BusyBlockOut'];

/** `generated_at`: planning starts there, nothing is placed in the past. */
export type Schedule = Schemas['ScheduleOut'];
/** One piece of a planned task; `chunk` is 1-based, in time order. */
export type ScheduleBlock = Schemas['ScheduleBlockOut'];
export type ScheduledTask = Schemas['ScheduledTaskOut'];
export type Risk = NonNullable<ScheduledTask['risk']>;
export type BusyInterval = Schemas['BusyIntervalOut'];

export type FeedOut = Schemas['FeedOut'];
