import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { Badge, Button, Card, PageHeader, ProblemAlert, QueryView, Select, Spinner } from '../../../components';
import { CategoryBarChart } from '../../../components/charts';
import { formatDateTime } from '../../../lib/format';
import { useMe, useRole } from '../../auth/session';
import { PriorityBadge } from '../shared/badges';
import { useMembers } from '../shared/hooks';
import { formatMinutes } from '../shared/labels';
import { BusyTime } from './BusyTime';
import { FeedButton } from './FeedButton';
import { useSchedule, useWorkingHours } from './hooks';
import type { Risk, Schedule, ScheduledTask, WorkingHoursOut } from './types';
import { dailyLoad, weekOf, type Week } from './week';
import { WeekView } from './WeekView';
import { WorkingHoursEditor } from './WorkingHoursEditor';
import { addDays, dayLabel, mondayOf } from './zone';

const RISK_LABELS: Record<Risk, string> = {
  overdue: 'Overdue',
  capacity: 'Not enough time',
  dependency: 'Waiting on other tasks',
  cycle: 'Dependency loop',
};

/** /ops/schedule: the week's plan of work around working hours and busy time. */
export function SchedulePage() {
  const hours = useWorkingHours();
  return (
    <div className="space-y-5">
      <QueryView query={hours} loadingLabel="Loading your working hours" errorTitle="Could not load your working hours">
        {(data) => <ScheduleView hours={data} />}
      </QueryView>
    </div>
  );
}

function ScheduleView({ hours }: { hours: WorkingHoursOut }) {
  const me = useMe();
  const admin = useRole() === 'admin';
  const members = useMembers();
  const [weeks, setWeeks] = useState(0);
  const [person, setPerson] = useState('');
  const zone = hours.timezone;
  const week = useMemo(() => weekOf(addDays(mondayOf(new Date(), zone), weeks * 7), zone), [zone, weeks]);
  const own = !person || person === me.data?.id;
  const schedule = useSchedule(week.from.toISOString(), week.to.toISOString(), own ? undefined : person);

  return (
    <>
      <PageHeader
        title="Schedule"
        description="Your open tasks planned into your working hours by priority and due date, around busy time. It is planned again whenever tasks, hours or calendars change."
        actions={own && <FeedButton active={hours.feed_active} />}
      />
      <div className="flex flex-wrap items-center gap-2">
        <Button variant="secondary" size="sm" onClick={() => setWeeks((w) => w - 1)}>
          Previous week
        </Button>
        <Button variant="secondary" size="sm" onClick={() => setWeeks(0)} disabled={weeks === 0}>
          This week
        </Button>
        <Button variant="secondary" size="sm" onClick={() => setWeeks((w) => w + 1)}>
          Next week
        </Button>
        <p className="ml-2 text-sm font-medium text-slate-700" aria-live="polite">
          {dayLabel(week.days[0]!, 'long')} – {dayLabel(week.days[6]!, 'long')} <span className="font-normal text-slate-400">({zone})</span>
        </p>
        {admin && (members.data?.length ?? 0) > 1 && (
          <label className="ml-auto flex items-center gap-2 text-sm text-slate-600">
            Schedule of
            <Select className="w-48" value={person || (me.data?.id ?? '')} onChange={(e) => setPerson(e.target.value)}>
              {(members.data ?? []).map((m) => (
                <option key={m.user_id} value={m.user_id}>
                  {m.user_id === me.data?.id ? 'Me' : m.full_name || m.email}
                </option>
              ))}
            </Select>
          </label>
        )}
        {schedule.isFetching && <Spinner size="sm" label="Planning" />}
      </div>
      {schedule.isPending ? (
        <div className="flex justify-center py-10">
          <Spinner label="Planning your week" />
        </div>
      ) : schedule.isError ? (
        <ProblemAlert error={schedule.error} title="Could not plan the schedule" />
      ) : (
        <PlanView schedule={schedule.data} hours={hours} week={week} own={own} />
      )}
    </>
  );
}

function PlanView({ schedule, hours, week, own }: { schedule: Schedule; hours: WorkingHoursOut; week: Week; own: boolean }) {
  const now = new Date(schedule.generated_at);
  const atRisk = schedule.tasks.filter((t) => t.at_risk);
  const unscheduled = schedule.tasks.filter((t) => t.state !== 'scheduled' && !t.at_risk);
  const { ratio, scheduled_minutes, available_minutes } = schedule.utilisation;
  return (
    <>
      <Card padded={false}>
        <div className="flex flex-wrap items-center gap-x-6 gap-y-1 border-b border-slate-100 px-5 py-3 text-sm text-slate-600">
          <span>
            <strong className="text-slate-900">{Math.round(ratio * 100)}%</strong> of the free working time left is planned ({formatMinutes(scheduled_minutes)} of {formatMinutes(available_minutes)})
          </span>
          <span className="flex items-center gap-3 text-xs">
            <Legend className="bg-red-100 ring-red-300" label="Urgent" />
            <Legend className="bg-amber-100 ring-amber-300" label="High" />
            <Legend className="bg-brand-100 ring-brand-300" label="Medium" />
            <Legend className="bg-slate-100 ring-slate-300" label="Low" />
            <Legend className="bg-slate-300/70 ring-slate-300" label="Busy" />
          </span>
        </div>
        <WeekView schedule={schedule} hours={hours} week={week} now={new Date()} />
      </Card>
      <div className="grid gap-5 lg:grid-cols-3">
        <TaskListCard title="At risk" empty="Every due date this week can be met." tasks={atRisk} risky />
        <TaskListCard title="Not scheduled" empty="Everything open fits in this window." tasks={unscheduled} />
        <UtilisationCard schedule={schedule} hours={hours} week={week} now={now} />
      </div>
      {schedule.cycles.length > 0 && (
        <p role="status" className="rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
          {schedule.cycles.length === 1 ? 'One group' : `${schedule.cycles.length} groups`} of tasks wait for each other in a loop and cannot be planned: change what they wait for.
        </p>
      )}
      {own && (
        <div className="grid gap-5 xl:grid-cols-2">
          <BusyTime busy={schedule.busy} zone={schedule.timezone} />
          <WorkingHoursCard hours={hours} />
        </div>
      )}
    </>
  );
}

function Legend({ className, label }: { className: string; label: string }) {
  return (
    <span className="inline-flex items-center gap-1">
      <span aria-hidden="true" className={`inline-block h-3 w-3 rounded-sm ring-1 ring-inset ${className}`} />
      {label}
    </span>
  );
}

function TaskListCard({ title, empty, tasks, risky = false }: { title: string; empty: string; tasks: ScheduledTask[]; risky?: boolean }) {
  return (
    <Card title={`${title}${tasks.length ? ` (${tasks.length})` : ''}`}>
      {tasks.length === 0 ? (
        <p className="text-sm text-slate-500">{empty}</p>
      ) : (
        <ul aria-label={title} className="space-y-3">
          {tasks.map((t) => (
            <li key={t.task_id} className="text-sm">
              <div className="flex flex-wrap items-center gap-2">
                <Link to={`/ops/tasks/${t.task_id}`} className="font-medium text-slate-900 hover:text-brand-700">
                  {t.title}
                </Link>
                <PriorityBadge priority={t.priority} />
                {risky && t.risk && <Badge tone="danger">{RISK_LABELS[t.risk]}</Badge>}
                {t.unassigned && <Badge>Unassigned</Badge>}
              </div>
              {t.note && <p className="mt-0.5 text-slate-600">{t.note}</p>}
              <p className="mt-0.5 text-xs text-slate-500">
                {t.due_at ? `Due ${formatDateTime(t.due_at)} · ` : ''}
                {formatMinutes(t.scheduled_minutes)} of {formatMinutes(t.estimate_minutes)} planned
                {t.planned_finish ? ` · done by ${formatDateTime(t.planned_finish)}` : ''}
              </p>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

const hoursText = (h: number) => `${Math.round(h * 10) / 10} h`;

function UtilisationCard({ schedule, hours, week, now }: { schedule: Schedule; hours: WorkingHoursOut; week: Week; now: Date }) {
  const load = dailyLoad(schedule, hours, week, now);
  const data = load.map((d) => ({ day: dayLabel(d.date), planned: d.scheduled / 60, free: Math.max(0, d.available - d.scheduled) / 60 }));
  return (
    <Card title="Load per day" description="Planned work against the free working time left each day.">
      <div className="h-48">
        <CategoryBarChart
          title="Planned and free hours per day"
          data={data}
          xKey="day"
          xLabel="Day"
          series={[
            { key: 'planned', label: 'Planned', stackId: 'load', color: '#6366f1' },
            { key: 'free', label: 'Free', stackId: 'load', color: '#cbd5e1' },
          ]}
          formatValue={hoursText}
        />
      </div>
    </Card>
  );
}

function WorkingHoursCard({ hours }: { hours: WorkingHoursOut }) {
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <Card title="Working hours" description={`${hours.is_default ? 'Default hours' : 'Your hours'} in ${hours.timezone}; pieces of work of at least ${hours.min_chunk_minutes} minutes.`}>
        <Button variant="secondary" onClick={() => setOpen(true)}>
          Edit working hours
        </Button>
      </Card>
    );
  }
  return <WorkingHoursEditor initial={hours} />;
}
