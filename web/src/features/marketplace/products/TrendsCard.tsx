/** How the market for one product moved: its average with moving averages, volatility, lows and highs, and who changes prices how often. */
import { Card, QueryView, Table, type Column } from '../../../components';
import { TrendLineChart, type ChartRow, type ChartSeries } from '../../../components/charts';
import { formatDate } from '../../../lib/format';
import { formatMoney } from '../format';
import { useTrends } from '../hooks';
import { Stat } from '../shared';
import type { CompetitorActivity, DailyPoint, ListingTrend, SeriesTrend, Trends } from '../types';

const day = (date: string) => formatDate(`${date}T12:00:00`);

function pointText(point: DailyPoint | null, currency: string | null): string {
  return point ? `${formatMoney(point.value, currency)} on ${day(point.date)}` : '—';
}

/** The market's daily average and its moving averages as chart rows keyed by date. */
export function trendRows(market: SeriesTrend): { rows: ChartRow[]; series: ChartSeries[] } {
  const windows = Object.keys(market.moving_averages).sort((a, b) => Number(a) - Number(b));
  const averages = windows.map((window) => new Map((market.moving_averages[window] ?? []).map((p) => [p.date, Number(p.value)])));
  const rows = market.daily.map((point) => {
    const row: ChartRow = { date: point.date, market: Number(point.value) };
    windows.forEach((window, i) => {
      row[`ma_${window}`] = averages[i]?.get(point.date) ?? null;
    });
    return row;
  });
  const series: ChartSeries[] = [
    { key: 'market', label: 'Market average' },
    ...windows.map((window) => ({ key: `ma_${window}`, label: `${window}-day average`, dashed: true })),
  ];
  return { rows, series };
}

export function TrendsCard({ productId, days, names }: { productId: string; days: number; names: ReadonlyMap<string, string> }) {
  const trends = useTrends(productId, Math.max(days, 7));
  return (
    <Card title="Trends" description={`The last ${Math.max(days, 7)} days: each day’s last price, carried over days without a check.`}>
      <QueryView query={trends} loadingLabel="Loading trends" errorTitle="Could not load the trends">
        {(data) => <TrendsBody trends={data} names={names} />}
      </QueryView>
    </Card>
  );
}

function TrendsBody({ trends, names }: { trends: Trends; names: ReadonlyMap<string, string> }) {
  const market = trends.market;
  const currency = trends.market_currency;
  if (!market || market.daily.length === 0) return <p className="text-sm text-slate-500">Trends appear once prices have been read.</p>;
  const { rows, series } = trendRows(market);
  const listingColumns: Column<ListingTrend>[] = [
    { key: 'listing', header: 'Listing', cell: (l) => <span className="font-medium text-slate-900">{names.get(l.listing_id) ?? l.competitor ?? 'Listing'}</span> },
    { key: 'volatility', header: 'Volatility', className: 'text-right', cell: (l) => <span className="tabular-nums">{l.volatility_pct !== null ? `${l.volatility_pct}%` : '—'}</span> },
    { key: 'low', header: 'Lowest', cell: (l) => pointText(l.min, l.currency) },
    { key: 'high', header: 'Highest', cell: (l) => pointText(l.max, l.currency) },
    { key: 'changes', header: 'Price changes', className: 'text-right', cell: (l) => <span className="tabular-nums">{l.change_count}</span> },
    { key: 'rate', header: 'Per 30 days', className: 'text-right', cell: (l) => <span className="tabular-nums">{l.changes_per_30_days}</span> },
  ];
  const competitorColumns: Column<CompetitorActivity>[] = [
    { key: 'competitor', header: 'Competitor', cell: (c) => <span className="font-medium text-slate-900">{c.competitor}</span> },
    { key: 'listings', header: 'Listings', className: 'text-right', cell: (c) => c.listings },
    { key: 'changes', header: 'Price changes', className: 'text-right', cell: (c) => c.change_count },
    { key: 'rate', header: 'Changes per 30 days', className: 'text-right', cell: (c) => c.changes_per_30_days },
  ];
  const seasonality = market.seasonality.by_weekday ?? market.seasonality.by_month;
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-3 gap-3">
        <Stat label="Volatility" value={market.volatility_pct !== null ? `${market.volatility_pct}%` : '—'} hint="Spread of day-to-day changes" />
        <Stat label="Lowest" value={formatMoney(market.min?.value, currency)} hint={market.min ? day(market.min.date) : undefined} />
        <Stat label="Highest" value={formatMoney(market.max?.value, currency)} hint={market.max ? day(market.max.date) : undefined} />
      </dl>
      {rows.length >= 2 ? (
        <div className="h-60">
          <TrendLineChart
            title="Market average and moving averages"
            data={rows}
            xKey="date"
            xLabel="Date"
            series={series}
            formatX={(value) => (typeof value === 'string' ? day(value) : '—')}
            formatValue={(value) => formatMoney(value, currency)}
          />
        </div>
      ) : (
        <p className="text-sm text-slate-500">The chart appears after two days of prices.</p>
      )}
      <Table caption="Listing trends" columns={listingColumns} rows={trends.listings} rowKey={(l) => l.listing_id} />
      {trends.competitors.length > 0 && <Table caption="How often competitors change prices" captionVisible columns={competitorColumns} rows={trends.competitors} rowKey={(c) => c.competitor} />}
      {seasonality && (
        <section aria-label="Seasonality">
          <h3 className="text-sm font-semibold text-slate-800">Average price by {market.seasonality.by_weekday ? 'weekday' : 'month'}</h3>
          <ul className="mt-1 flex flex-wrap gap-3 text-sm text-slate-700">
            {seasonality.map((g) => (
              <li key={g.label}>
                {g.label}: <span className="tabular-nums">{formatMoney(g.value, currency)}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {[...trends.notes, ...market.seasonality.notes].length > 0 && (
        <ul className="space-y-1 text-xs text-slate-500">
          {[...trends.notes, ...market.seasonality.notes].map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
