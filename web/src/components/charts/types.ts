/** Shared shapes of the chart components: rows of values keyed by field, and the series to draw. */

export type ChartValue = string | number | null;
export type ChartRow = Record<string, ChartValue>;

export interface ChartSeries {
  /** The field of each row that holds this series' value. */
  key: string;
  label: string;
  /** Any CSS colour; the palette's colour for the series' position when omitted. */
  color?: string;
  /** Drawn dashed (and lighter): a comparison period. */
  dashed?: boolean;
  /** Series with the same stack id are stacked (bar charts). */
  stackId?: string;
}

export interface Slice {
  key: string;
  label: string;
  value: number;
}

/** Clicking a point/bar/slice: the row's index and, for cartesian charts, the series clicked. */
export type SelectHandler = (index: number, seriesKey?: string) => void;
