/** A product's stored prices as one line per listing, with my price as a dashed reference line. */
import { TrendLineChart, type ChartRow, type ChartSeries } from '../../../components/charts';
import { formatCompactDateTime, formatDate } from '../../../lib/format';
import { formatMoney, toNumber } from '../format';
import type { HistoryPoint } from '../types';

export const MY_PRICE_KEY = 'my_price';
const MY_PRICE_COLOR = '#334155';
const DAY_MS = 86_400_000;

// Plain keys: listing ids are UUIDs, and chart data keys are read as property paths.
const seriesKey = (index: number) => `listing_${index}`;

interface HistoryRows {
  rows: ChartRow[];
  series: ChartSeries[];
  byDay: boolean;
}

/**
 * One row per moment (per day once the history spans more than two days: the day's last price), each
 * listing's price carried forward from its first point, since a stored price holds until the next one.
 */
export function historyRows(points: HistoryPoint[], names: ReadonlyMap<string, string>, myPrice: number | null): HistoryRows {
  const sorted = [...points].sort((a, b) => Date.parse(a.checked_at) - Date.parse(b.checked_at));
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const byDay = first !== undefined && last !== undefined && Date.parse(last.checked_at) - Date.parse(first.checked_at) > 2 * DAY_MS;
  const momentOf = (point: HistoryPoint) => (byDay ? point.checked_at.slice(0, 10) : point.checked_at);
  const moments: string[] = [];
  const prices = new Map<string, Map<string, number>>();
  for (const point of sorted) {
    const moment = momentOf(point);
    if (moments[moments.length - 1] !== moment) moments.push(moment);
    const price = toNumber(point.price);
    if (price === null) continue;
    if (!prices.has(moment)) prices.set(moment, new Map());
    prices.get(moment)!.set(point.listing_id, price);
  }
  const listingIds = [...new Set(sorted.map((p) => p.listing_id))];
  const carried = new Map<string, number>();
  const rows = moments.map((moment) => {
    const row: ChartRow = { at: moment };
    listingIds.forEach((id, index) => {
      const price = prices.get(moment)?.get(id);
      if (price !== undefined) carried.set(id, price);
      row[seriesKey(index)] = carried.get(id) ?? null;
    });
    if (myPrice !== null) row[MY_PRICE_KEY] = myPrice;
    return row;
  });
  const series: ChartSeries[] = listingIds.map((id, index) => ({ key: seriesKey(index), label: names.get(id) ?? 'Listing' }));
  if (myPrice !== null) series.push({ key: MY_PRICE_KEY, label: 'My price', color: MY_PRICE_COLOR, dashed: true });
  return { rows, series, byDay };
}

function formatMoment(value: unknown, byDay: boolean): string {
  if (typeof value !== 'string') return '—';
  // A bare date is that calendar day wherever the reader is: read it at local noon, not UTC midnight.
  return byDay ? formatDate(`${value}T12:00:00`) : formatCompactDateTime(value);
}

interface PriceHistoryChartProps {
  productName: string;
  points: HistoryPoint[];
  names: ReadonlyMap<string, string>;
  myPrice: string | null;
  currency: string;
}

export function PriceHistoryChart({ productName, points, names, myPrice, currency }: PriceHistoryChartProps) {
  const { rows, series, byDay } = historyRows(points, names, toNumber(myPrice));
  return (
    <div className="h-72">
      <TrendLineChart
        title={`Price history of ${productName}`}
        data={rows}
        xKey="at"
        xLabel={byDay ? 'Date' : 'Checked at'}
        series={series}
        formatX={(value) => formatMoment(value, byDay)}
        formatValue={(value) => formatMoney(value, currency)}
        formatTick={(value) => formatMoney(value, currency).replace(/\.00$/, '')}
      />
    </div>
  );
}
