import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import type { ApiError } from '../../../api/problem';
import { Card, Meter, QueryView, StackedBarChart, type BarGroup, type BarSeries } from '../../../components';
import { useTenantKey } from '../../auth/session';
import type { ProviderId, UsageDay, UsageReport } from './types';

export const USAGE_DAYS = 30;

const PROVIDERS: { id: ProviderId; label: string; color: string }[] = [
  { id: 'openai', label: 'OpenAI', color: '#10b981' },
  { id: 'anthropic', label: 'Anthropic', color: '#f59e0b' },
  { id: 'google', label: 'Google', color: '#3b82f6' },
  { id: 'ollama', label: 'Ollama', color: '#64748b' },
  { id: 'local', label: 'Offline engine', color: '#6366f1' },
];

const number = new Intl.NumberFormat();
const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const monthLabel = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });

/** "0.0123" → "$0.0123"; cents for a dollar or more. The API sends decimals as strings. */
export function formatUsd(value: string | number): string {
  const amount = Number(value);
  if (!Number.isFinite(amount)) return String(value);
  const digits = amount !== 0 && Math.abs(amount) < 1 ? 4 : 2;
  return new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: digits }).format(amount);
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** `days` consecutive UTC days ending with the later of today and the last day reported. */
export function dayRange(days: number, reported: string[], today = new Date()): string[] {
  const lastReported = reported.reduce((a, b) => (b > a ? b : a), '');
  const end = lastReported > isoDay(today) ? new Date(`${lastReported}T00:00:00Z`) : today;
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate() - i));
    out.push(isoDay(d));
  }
  return out;
}

/** Tokens per day per provider, every day present (zero days included) so the bars keep their dates. */
export function usageGroups(rows: UsageDay[], days: number, today = new Date()): { groups: BarGroup[]; series: BarSeries[] } {
  const byDay = new Map<string, Record<string, number>>();
  const used = new Set<string>();
  for (const row of rows) {
    const values = byDay.get(row.day) ?? {};
    values[row.provider] = (values[row.provider] ?? 0) + row.prompt_tokens + row.completion_tokens;
    byDay.set(row.day, values);
    used.add(row.provider);
  }
  const groups = dayRange(days, rows.map((r) => r.day), today).map((day) => ({
    key: day,
    label: dayLabel.format(new Date(`${day}T00:00:00Z`)),
    values: byDay.get(day) ?? {},
  }));
  const series = PROVIDERS.filter((p) => used.has(p.id)).map((p) => ({ key: p.id, label: p.label, color: p.color }));
  return { groups, series };
}

function BudgetMeter({ report }: { report: UsageReport }) {
  const budget = report.monthly_token_budget;
  const month = monthLabel.format(new Date(`${report.month_start}T00:00:00Z`));
  const used = number.format(report.month_tokens);
  if (budget === null || budget === undefined) {
    return (
      <div>
        <p className="text-sm text-slate-700">
          <span className="text-2xl font-semibold tabular-nums text-slate-900">{used}</span> tokens in {month}
        </p>
        <p className="mt-1 text-xs text-slate-500">No monthly budget is set. Admins can set one below.</p>
      </div>
    );
  }
  const percent = budget > 0 ? Math.round((report.month_tokens / budget) * 100) : 100;
  const valueText = `${used} of ${number.format(budget)} tokens (${percent}%)`;
  return (
    <div>
      <p className="text-sm text-slate-700">
        <span className="text-2xl font-semibold tabular-nums text-slate-900">{used}</span> of {number.format(budget)} tokens in {month}
      </p>
      <Meter className="mt-2" label={`Tokens used in ${month}`} value={report.month_tokens} max={budget} valueText={valueText} />
      <p className={percent >= 100 ? 'mt-1 text-xs font-medium text-red-700' : percent >= 80 ? 'mt-1 text-xs font-medium text-amber-700' : 'mt-1 text-xs text-slate-500'}>
        {percent >= 100
          ? 'The budget is used up: hosted models refuse new questions until next month. The offline engine still answers.'
          : `${percent}% of the monthly budget used.`}
      </p>
    </div>
  );
}

function UsageBody({ report }: { report: UsageReport }) {
  const { groups, series } = usageGroups(report.days, USAGE_DAYS);
  const totalTokens = groups.reduce((sum, g) => sum + Object.values(g.values).reduce((a, b) => a + b, 0), 0);
  const queries = report.days.reduce((sum, d) => sum + d.queries, 0);
  return (
    <div className="space-y-6">
      <div className="grid gap-6 sm:grid-cols-[2fr_1fr]">
        <BudgetMeter report={report} />
        <div>
          <p className="text-sm text-slate-700">
            <span className="text-2xl font-semibold tabular-nums text-slate-900">{formatUsd(report.month_cost_usd)}</span> estimated cost
          </p>
          <p className="mt-1 text-xs text-slate-500">This month, at the providers’ list prices. The offline engine is free.</p>
        </div>
      </div>
      <div>
        <h3 className="text-sm font-semibold text-slate-900">Tokens per day, last {USAGE_DAYS} days</h3>
        <p className="mt-0.5 text-xs text-slate-500">
          {number.format(totalTokens)} tokens across {number.format(queries)} {queries === 1 ? 'question' : 'questions'}.
        </p>
        {series.length === 0 ? (
          <p className="mt-4 rounded-lg border-2 border-dashed border-slate-200 px-4 py-8 text-center text-sm text-slate-500">
            No AI usage in the last {USAGE_DAYS} days.
          </p>
        ) : (
          <StackedBarChart
            className="mt-3"
            title={`Tokens per day by provider, last ${USAGE_DAYS} days`}
            description={`${number.format(totalTokens)} tokens in total: ${series
              .map((s) => `${s.label} ${number.format(groups.reduce((sum, g) => sum + (g.values[s.key] ?? 0), 0))}`)
              .join(', ')}.`}
            series={series}
            groups={groups}
            unit="tokens"
            labelEvery={5}
          />
        )}
      </div>
    </div>
  );
}

/** Settings › AI › Usage: this month against the budget, the cost, and tokens per day by provider. */
export function UsageCard() {
  const key = useTenantKey();
  const usage = useQuery<UsageReport, ApiError>({
    queryKey: [...key, 'llm', 'usage', USAGE_DAYS],
    queryFn: () => unwrap(api.GET('/api/llm/usage', { params: { query: { days: USAGE_DAYS } } })),
  });
  return (
    <Card title="Usage" description="Tokens the AI used for your company, and what hosted models cost.">
      <QueryView query={usage} loadingLabel="Loading AI usage" errorTitle="Could not load AI usage">
        {(report) => <UsageBody report={report} />}
      </QueryView>
    </Card>
  );
}
