import type { ReactNode } from 'react';
import { cn } from '../../lib/cn';

export interface FrameTable {
  /** Header of the first column (what each row is: "Month", "Channel"). */
  rowHeader: string;
  columns: string[];
  rows: { key: string; label: string; cells: string[] }[];
}

interface ChartFrameProps {
  title: string;
  /** The same numbers as a table, for screen readers (the drawing itself is hidden from them). */
  table: FrameTable;
  className?: string;
  children: ReactNode;
  /** Visible, accessible content next to the drawing (e.g. a ranked list of buttons). */
  aside?: ReactNode;
}

/** A chart's accessible shell: a named figure whose drawing is decorative and whose data is a table. */
export function ChartFrame({ title, table, className, children, aside }: ChartFrameProps) {
  return (
    <figure aria-label={title} className={cn('@container relative m-0 h-full w-full min-h-0', className)}>
      {/* Beside the drawing when there is room, below it when the widget is narrow. */}
      <div className="flex h-full min-h-0 flex-col gap-2 @xl:flex-row @xl:gap-3">
        <div aria-hidden="true" className="min-h-0 min-w-0 flex-1">
          {children}
        </div>
        {aside}
      </div>
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{table.rowHeader}</th>
            {table.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              {row.cells.map((cell, i) => (
                <td key={i}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
