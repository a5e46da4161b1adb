/** Series colours: distinguishable, colour-blind friendlier order (brand indigo first). */
export const SERIES_COLORS = [
  '#4f46e5',
  '#0891b2',
  '#f59e0b',
  '#16a34a',
  '#db2777',
  '#7c3aed',
  '#ea580c',
  '#0d9488',
  '#64748b',
  '#a16207',
] as const;

export const OTHER_COLOR = '#cbd5e1';
export const GRID_COLOR = '#e2e8f0';
export const AXIS_COLOR = '#64748b';

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length]!;
}
