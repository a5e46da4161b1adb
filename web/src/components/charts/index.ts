export { ChartFrame } from './ChartFrame';
export { TrendLineChart, type CartesianChartProps } from './TrendLineChart';
export { CategoryBarChart } from './CategoryBarChart';
export { DonutChart } from './DonutChart';
export { Sparkline } from './Sparkline';
export { CountryMap, type CountryValue } from './CountryMap';
export { countryCode, countryName, countryNumeric } from './countries';
export { SERIES_COLORS, seriesColor } from './palette';
export type { ChartRow, ChartSeries, ChartValue, SelectHandler, Slice } from './types';
