/** The dashboard grid, shared by the view (CSS grid) and the builder (react-grid-layout). */
export const GRID_COLUMNS = 12;
export const ROW_HEIGHT = 40;
export const GRID_GAP = 12;

/** Pixel height of a widget `h` rows tall (rows plus the gaps between them). */
export function heightOf(rows: number): number {
  return rows * ROW_HEIGHT + (rows - 1) * GRID_GAP;
}

/** Default sizes of a new widget, by type. */
export const NEW_WIDGET_SIZE: Record<string, { w: number; h: number }> = {
  kpi: { w: 3, h: 3 },
  line: { w: 8, h: 8 },
  bar: { w: 6, h: 8 },
  stacked_bar: { w: 8, h: 8 },
  pie: { w: 4, h: 8 },
  table: { w: 6, h: 8 },
  map: { w: 12, h: 9 },
};

/** Widgets in reading order: top to bottom, then left to right. */
export function byPosition<T extends { layout: { x: number; y: number } }>(items: T[]): T[] {
  return [...items].sort((a, b) => a.layout.y - b.layout.y || a.layout.x - b.layout.x);
}

/** The first free row below every widget. */
export function bottomOf(items: { layout: { y: number; h: number } }[]): number {
  return items.reduce((max, item) => Math.max(max, item.layout.y + item.layout.h), 0);
}
