import { useState } from 'react';
import { Card, EmptyState, QueryView } from '../../../components';
import { IconChart } from '../../../components/Icons';
import { cn } from '../../../lib/cn';
import { formatChange, formatValue, relativeChange, type ValueKind } from '../format';
import { ForecastChart, intervalLabel } from './ForecastChart';
import { useForecast } from './hooks';
import { Segmented } from './Segmented';
import { FORECAST_HORIZONS, type ForecastHorizon, type ForecastMetric, type ForecastOut } from './types';

const METRICS: { value: ForecastMetric; label: string; kind: ValueKind }[] = [
  { value: 'revenue', label: 'Revenue', kind: 'money' },
  { value: 'orders', label: 'Orders', kind: 'integer' },
];

interface ForecastPanelProps {
  /** The tenant's currency (the dashboard's results carry it); revenue reads as a plain amount without. */
  currency?: string | null;
  defaultMetric?: ForecastMetric;
  defaultHorizon?: ForecastHorizon;
  className?: string;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** The forecast's total over the horizon against the same number of days just past, when history covers them. */
function Summary({ forecast, kind, label, currency }: { forecast: ForecastOut; kind: ValueKind; label: string; currency?: string | null }) {
  const days = forecast.forecast.length;
  const expected = sum(forecast.forecast.map((point) => point.value));
  const recent = forecast.history.length >= days ? sum(forecast.history.slice(-days).map((point) => point.value)) : null;
  const change = relativeChange(expected, recent);
  return (
    <div className="space-y-2">
      <dl className="grid grid-cols-2 gap-4 sm:grid-cols-3">
        <div>
          <dt className="text-xs text-slate-500">Expected, next {days} days</dt>
          <dd className="text-xl font-semibold tabular-nums text-slate-900">{formatValue(expected, kind, { currency })}</dd>
        </div>
        {recent !== null && (
          <div>
            <dt className="text-xs text-slate-500">Last {days} days</dt>
            <dd className="text-xl font-semibold tabular-nums text-slate-700">{formatValue(recent, kind, { currency })}</dd>
          </div>
        )}
        {change !== null && (
          <div>
            <dt className="text-xs text-slate-500">Change</dt>
            <dd className="text-xl font-semibold tabular-nums text-slate-700">{formatChange(change)}</dd>
          </div>
        )}
      </dl>
      <p className="text-xs text-slate-500">
        Daily {label.toLowerCase()} with the shaded band as the {intervalLabel(forecast.interval)}: on about {Math.round(forecast.interval * 100)} % of days the
        actual value should land inside it.
      </p>
    </div>
  );
}

/** Revenue or orders for the next 30, 60 or 90 days, drawn after the recent actual days. */
export function ForecastPanel({ currency, defaultMetric = 'revenue', defaultHorizon = 30, className }: ForecastPanelProps) {
  const [metric, setMetric] = useState<ForecastMetric>(defaultMetric);
  const [horizon, setHorizon] = useState<ForecastHorizon>(defaultHorizon);
  const query = useForecast(metric, horizon);
  const { kind, label } = METRICS.find((m) => m.value === metric)!;

  return (
    <Card
      title="Forecast"
      description={`${label} for the next ${horizon} days.`}
      className={className}
      actions={
        <>
          <Segmented label="Forecast metric" options={METRICS} value={metric} onChange={setMetric} />
          <Segmented label="Forecast horizon" options={FORECAST_HORIZONS.map((h) => ({ value: h, label: `${h} days` }))} value={horizon} onChange={setHorizon} />
        </>
      }
    >
      <QueryView query={query} loadingLabel="Loading the forecast…" errorTitle="Could not load the forecast">
        {(forecast) =>
          forecast.forecast.length === 0 ? (
            <EmptyState
              icon={<IconChart className="h-6 w-6" />}
              title="Not enough history yet"
              description="A forecast needs at least four weeks of sales. Connect a store or import your orders to see one."
            />
          ) : (
            <div className={cn('space-y-4', query.isFetching && 'opacity-70 transition-opacity')}>
              <div className="h-72">
                <ForecastChart title={`${label} forecast, next ${horizon} days`} forecast={forecast} kind={kind} currency={currency} />
              </div>
              <Summary forecast={forecast} kind={kind} label={label} currency={currency} />
            </div>
          )
        }
      </QueryView>
    </Card>
  );
}
