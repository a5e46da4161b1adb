/** Schedule, working-hours, busy-time and feed calls, through the typed client. */
import { api, unwrap } from '../../../api/client';
import type { BusyBlockIn, BusyBlockOut, FeedOut, Schedule, WorkingHours, WorkingHoursOut } from './types';

export function getSchedule(from: string, to: string, userId?: string): Promise<Schedule> {
  return unwrap(api.GET('/api/modules/ops-copilot/schedule', { params: { query: { from, to, user_id: userId } } }));
}

// openapi-fetch's response typing (`Readable<>`) widens the schema's ["09:00", "17:00"] tuples to
// string arrays; the server always sends pairs, so the working week is read back as the schema says.
export async function getWorkingHours(): Promise<WorkingHoursOut> {
  return (await unwrap(api.GET('/api/modules/ops-copilot/working-hours'))) as WorkingHoursOut;
}

export async function putWorkingHours(body: WorkingHours): Promise<WorkingHoursOut> {
  return (await unwrap(api.PUT('/api/modules/ops-copilot/working-hours', { body }))) as WorkingHoursOut;
}

export function createBusyBlock(body: BusyBlockIn): Promise<BusyBlockOut> {
  return unwrap(api.POST('/api/modules/ops-copilot/busy-blocks', { body }));
}

export async function deleteBusyBlock(id: string): Promise<void> {
  await unwrap(api.DELETE('/api/modules/ops-copilot/busy-blocks/{block_id}', { params: { path: { block_id: id } } }));
}

/** A new private feed URL (shown once); the previous one stops working. */
export function createFeed(): Promise<FeedOut> {
  return unwrap(api.POST('/api/modules/ops-copilot/schedule/feed'));
}
