import { useId, useState, type ComponentType, type SVGProps } from 'react';
import { Link } from 'react-router';
import { Badge, Button, Card, Dialog, EmptyState, ProblemAlert, QueryView, Spinner } from '../../../components';
import { IconSparkles, IconX } from '../../../components/Icons';
import { cn } from '../../../lib/cn';
import { canWrite, useRole } from '../../auth/session';
import { formatRelative, useNow } from '../../connectors/time';
import { ResultChart } from '../ask/ResultChart';
import type { ChartOut } from '../ask/types';
import { useMetricQuery } from '../hooks';
import type { SemanticQuery } from '../types';
import { ForecastChart } from './ForecastChart';
import { useDismissInsight, useForecast, useInsightExplanation, useInsights, useRefreshInsights } from './hooks';
import { IconAlert, IconForecast, IconMovers, IconRefresh, IconSegments, IconTrend } from './icons';
import { keyNumbers, metricKind } from './numbers';
import type { ForecastMetric, InsightKind, InsightOut } from './types';

type Icon = ComponentType<SVGProps<SVGSVGElement>>;

const KINDS: Record<InsightKind, { label: string; plural: string; icon: Icon }> = {
  anomaly: { label: 'Anomaly', plural: 'Anomalies', icon: IconAlert },
  trend: { label: 'Trend change', plural: 'Trends', icon: IconTrend },
  top_mover: { label: 'Top mover', plural: 'Top movers', icon: IconMovers },
  segment: { label: 'Customer segment', plural: 'Segments', icon: IconSegments },
  forecast: { label: 'Forecast', plural: 'Forecast', icon: IconForecast },
};
const FALLBACK_KIND = { label: 'Insight', plural: 'Insights', icon: IconSparkles };

const SEVERITY = {
  warning: { border: 'border-l-amber-500', icon: 'bg-amber-50 text-amber-700', words: 'Needs attention' },
  positive: { border: 'border-l-emerald-500', icon: 'bg-emerald-50 text-emerald-700', words: 'Good news' },
  info: { border: 'border-l-brand-500', icon: 'bg-brand-50 text-brand-700', words: 'For information' },
} as const;

function severityOf(insight: InsightOut) {
  return SEVERITY[insight.severity as keyof typeof SEVERITY] ?? SEVERITY.info;
}

const KIND_ORDER = Object.keys(KINDS) as InsightKind[];
/** Cards shown before "Show all": each draws its chart from its own query. */
export const FIRST_CARDS = 8;

function kindOf(kind: string) {
  return KINDS[kind as InsightKind] ?? FALLBACK_KIND;
}

/** The chart an insight's query asks for: x is its first dimension, a second one splits the series. */
function chartSpec(type: ChartOut['type'], query: SemanticQuery): ChartOut {
  const dimensions = query.dimensions ?? [];
  return { type, x: dimensions[0] ?? null, y: query.metrics, series: dimensions[1] ?? null };
}

function QueryChart({ title, type, query, compact }: { title: string; type: ChartOut['type']; query: SemanticQuery; compact: boolean }) {
  const result = useMetricQuery(query);
  return (
    <QueryView query={result} loadingLabel="Loading the chart…" errorTitle="Could not load the chart">
      {(data) => (
        <ResultChart title={title} columns={data.columns} rows={data.rows} chart={chartSpec(type, query)} currency={data.currency} height={compact ? 160 : 320} compact={compact} />
      )}
    </QueryView>
  );
}

function InsightForecastChart({ title, metric, horizon, currency, compact }: { title: string; metric: ForecastMetric; horizon: number; currency: string | null; compact: boolean }) {
  const forecast = useForecast(metric, horizon);
  return (
    <QueryView query={forecast} loadingLabel="Loading the forecast…" errorTitle="Could not load the forecast">
      {(data) => (
        <div className={compact ? 'h-40' : 'h-80'}>
          <ForecastChart title={title} forecast={data} kind={metricKind(metric)} currency={currency} />
        </div>
      )}
    </QueryView>
  );
}

/** An insight's chart: the forecast it continues into, or its query drawn as its chart type. */
export function InsightChartView({ insight, compact = true }: { insight: InsightOut; compact?: boolean }) {
  const { chart } = insight;
  const currency = typeof insight.numbers.currency === 'string' ? insight.numbers.currency : null;
  if (chart.forecast && (chart.forecast.metric === 'revenue' || chart.forecast.metric === 'orders')) {
    return <InsightForecastChart title={insight.title} metric={chart.forecast.metric} horizon={chart.forecast.horizon} currency={currency} compact={compact} />;
  }
  if (!chart.query || !chart.type) return null;
  return <QueryChart title={insight.title} type={chart.type} query={chart.query} compact={compact} />;
}

interface InsightCardProps {
  insight: InsightOut;
  canDismiss: boolean;
  onDismiss: (id: string) => void;
  onOpenChart: (insight: InsightOut) => void;
  chartHref?: (insight: InsightOut) => string | undefined;
}

function InsightCard({ insight, canDismiss, onDismiss, onOpenChart, chartHref }: InsightCardProps) {
  const titleId = useId();
  const kind = kindOf(insight.kind);
  const severity = severityOf(insight);
  const numbers = keyNumbers(insight);
  const href = chartHref?.(insight);
  const KindIcon = kind.icon;
  return (
    <article aria-labelledby={titleId} className={cn('flex flex-col gap-3 rounded-xl border-l-4 bg-white p-4 shadow-sm ring-1 ring-slate-200', severity.border)}>
      <div className="flex items-start gap-3">
        <span className={cn('flex h-8 w-8 shrink-0 items-center justify-center rounded-lg', severity.icon)}>
          <KindIcon className="h-4 w-4" />
        </span>
        <div className="min-w-0 flex-1">
          <p className="text-xs font-medium text-slate-500">
            {kind.label}
            <span className="sr-only"> · {severity.words}</span>
          </p>
          <h3 id={titleId} className="text-sm font-semibold text-slate-900">
            {insight.title}
          </h3>
        </div>
        {canDismiss && (
          <button
            type="button"
            onClick={() => onDismiss(insight.id)}
            aria-label={`Dismiss: ${insight.title}`}
            className="rounded-md p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600 focus-visible:outline-2 focus-visible:outline-brand-600"
          >
            <IconX className="h-4 w-4" />
          </button>
        )}
      </div>
      <p className="text-sm text-slate-700">{insight.sentence}</p>
      {numbers.length > 0 && (
        <dl className="grid grid-cols-2 gap-x-4 gap-y-2 sm:grid-cols-3">
          {numbers.map((n) => (
            <div key={n.label} className="min-w-0">
              <dt className="truncate text-xs text-slate-500">{n.label}</dt>
              <dd className="text-sm font-semibold tabular-nums text-slate-900">{n.value}</dd>
            </div>
          ))}
        </dl>
      )}
      <InsightChartView insight={insight} />
      <div className="flex flex-wrap gap-3 text-xs font-medium">
        <button type="button" onClick={() => onOpenChart(insight)} aria-label={`View chart: ${insight.title}`} className="text-brand-700 hover:underline">
          View chart
        </button>
        {href && (
          <Link to={href} aria-label={`Explore: ${insight.title}`} className="text-brand-700 hover:underline">
            Explore
          </Link>
        )}
      </div>
    </article>
  );
}

/** The method in plain words and the numbers behind the finding, one line each. */
function Explanation({ insight }: { insight: InsightOut }) {
  const explanation = useInsightExplanation(insight.id);
  return (
    <section aria-label="How this was found" className="space-y-2 rounded-lg bg-slate-50 p-4 text-sm ring-1 ring-slate-200">
      <h3 className="font-semibold text-slate-900">How this was found</h3>
      <QueryView query={explanation} loadingLabel="Loading the explanation…" errorTitle="Could not load the explanation">
        {(data) => (
          <>
            <p className="text-slate-700">{data.method}</p>
            {data.details.length > 0 && (
              <ul className="list-disc space-y-0.5 pl-5 text-slate-600">
                {data.details.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}

/** An indeterminate progress bar with the seconds elapsed: a refresh reads the whole history. */
function RefreshProgress() {
  const [started] = useState(() => Date.now());
  const now = useNow(1000);
  const seconds = Math.max(0, Math.round((now - started) / 1000));
  return (
    <div className="space-y-1.5">
      <div role="progressbar" aria-label="Refreshing insights" aria-valuetext={`${seconds} seconds`} className="h-1.5 w-full overflow-hidden rounded-full bg-brand-50">
        <div className="h-full w-1/3 animate-pulse rounded-full bg-brand-500" />
      </div>
      <p className="text-xs text-slate-500">
        Looking for anomalies, trends, movers and segments across your history… {seconds > 0 && `${seconds} s`}
      </p>
    </div>
  );
}

interface InsightsFeedProps {
  /** Show only this kind at first (null: every kind). */
  initialKind?: InsightKind | null;
  /** Where "Explore" leads for an insight (e.g. an explorer page with its query); no link when undefined. */
  chartHref?: (insight: InsightOut) => string | undefined;
  className?: string;
}

/**
 * What changed in the business: anomalies, trend changes, top movers, customer segments and the
 * forecast, each with its sentence, the numbers behind it and a small chart. Members can dismiss
 * a finding and recompute them all.
 */
export function InsightsFeed({ initialKind = null, chartHref, className }: InsightsFeedProps) {
  const [kind, setKind] = useState<InsightKind | null>(initialKind);
  const [opened, setOpened] = useState<InsightOut | null>(null);
  const [showAll, setShowAll] = useState(false);
  const insights = useInsights(kind);
  const refresh = useRefreshInsights();
  const dismiss = useDismissInsight();
  const editable = canWrite(useRole());
  const now = useNow();
  const computedAt = insights.data?.computed_at ?? null;

  // A finding dismissed (or refreshed away) while its chart is open closes the dialog.
  const open = opened && insights.data?.insights.some((i) => i.id === opened.id) ? opened : null;

  return (
    <Card
      title="Insights"
      description={computedAt ? `Updated ${formatRelative(computedAt, now)}` : 'What changed in your business, and why it matters.'}
      className={className}
      actions={
        editable && (
          <Button variant="secondary" size="sm" onClick={() => refresh.mutate()} loading={refresh.isPending} icon={<IconRefresh className="h-4 w-4" />}>
            {refresh.isPending ? 'Refreshing…' : 'Refresh'}
          </Button>
        )
      }
    >
      <div className="space-y-4">
        <div role="group" aria-label="Show insights of kind" className="flex flex-wrap gap-2">
          {[null, ...KIND_ORDER].map((value) => (
            <button
              key={value ?? 'all'}
              type="button"
              aria-pressed={kind === value}
              onClick={() => {
                setKind(value);
                setShowAll(false);
              }}
              className={cn(
                'rounded-full px-3 py-1 text-xs font-medium ring-1 ring-inset focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600',
                kind === value ? 'bg-brand-600 text-white ring-brand-600' : 'bg-white text-slate-700 ring-slate-300 hover:bg-slate-50',
              )}
            >
              {value === null ? 'All' : kindOf(value).plural}
            </button>
          ))}
        </div>
        {refresh.isPending && <RefreshProgress />}
        {refresh.isError && <ProblemAlert error={refresh.error} title="Could not refresh the insights" />}
        {dismiss.isError && <ProblemAlert error={dismiss.error} title="Could not dismiss the insight" />}
        <QueryView query={insights} loadingLabel="Loading insights…" errorTitle="Could not load the insights">
          {(data) =>
            data.insights.length === 0 ? (
              <EmptyState
                icon={<IconSparkles className="h-6 w-6" />}
                title="Nothing stands out right now"
                description="Insights appear when something changes: an unusual day, a trend, a product or customer that moves. More history makes them sharper."
              />
            ) : (
              <div className="relative">
                {insights.isFetching && !insights.isPending && (
                  <div className="absolute right-0 -top-2">
                    <Spinner size="sm" label="Updating insights…" />
                  </div>
                )}
                <ul aria-label="Insights" className="grid gap-4 md:grid-cols-2">
                  {(showAll ? data.insights : data.insights.slice(0, FIRST_CARDS)).map((insight) => (
                    <li key={insight.id}>
                      <InsightCard insight={insight} canDismiss={editable} onDismiss={(id) => dismiss.mutate(id)} onOpenChart={setOpened} chartHref={chartHref} />
                    </li>
                  ))}
                </ul>
                {!showAll && data.insights.length > FIRST_CARDS && (
                  <div className="mt-4 flex justify-center">
                    <Button variant="secondary" size="sm" onClick={() => setShowAll(true)}>
                      Show all {data.insights.length} insights
                    </Button>
                  </div>
                )}
              </div>
            )
          }
        </QueryView>
      </div>
      <Dialog open={open !== null} onClose={() => setOpened(null)} title={open?.title ?? ''} description={open?.sentence} size="lg">
        {open && (
          <div className="space-y-4">
            <Badge tone="brand">{kindOf(open.kind).label}</Badge>
            <InsightChartView insight={open} compact={false} />
            <Explanation insight={open} />
          </div>
        )}
      </Dialog>
    </Card>
  );
}
