import { useEffect, useMemo, useState } from 'react';
import { geoEqualEarth, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { Spinner } from '../Spinner';
import { ChartFrame } from './ChartFrame';
import { countryName, countryNumeric } from './countries';

export interface CountryValue {
  /** As the data has it: an ISO code ("US") or a name ("Germany"). */
  country: string;
  value: number;
}

interface CountryMapProps {
  title: string;
  valueLabel: string;
  data: CountryValue[];
  formatValue: (value: number) => string;
  onSelect?: (index: number) => void;
  className?: string;
}

type CountryShape = Feature<Geometry, { name: string }>;

const WIDTH = 960;
const HEIGHT = 470;
const RANKED = 6;
const LOW = [224, 231, 255]; // brand-100
const HIGH = [55, 48, 163]; // brand-800

let atlas: Promise<CountryShape[]> | null = null;

/** The 1:110m world, loaded once and only when a map is shown (it is ~100 kB). */
function loadCountries(): Promise<CountryShape[]> {
  atlas ??= import('world-atlas/countries-110m.json').then(({ default: topology }) => {
    const collection = feature(topology, topology.objects.countries) as FeatureCollection<Geometry, { name: string }>;
    return collection.features.filter((f) => f.properties.name !== 'Antarctica');
  });
  return atlas;
}

function shade(t: number): string {
  const mix = LOW.map((low, i) => Math.round(low + (HIGH[i]! - low) * t));
  return `rgb(${mix.join(',')})`;
}

/** Which atlas shape each data row belongs to: by ISO code, else by the atlas's own name. */
function matchShapes(shapes: CountryShape[], data: CountryValue[]): Map<CountryShape, number> {
  const byId = new Map(shapes.filter((s) => s.id !== undefined).map((s) => [String(s.id), s]));
  const byName = new Map(shapes.map((s) => [s.properties.name.toLowerCase(), s]));
  const matched = new Map<CountryShape, number>();
  data.forEach((row, index) => {
    const numeric = countryNumeric(row.country);
    const shape = (numeric ? byId.get(numeric) : undefined) ?? byName.get(row.country.trim().toLowerCase());
    if (shape && !matched.has(shape)) matched.set(shape, index);
  });
  return matched;
}

/** A choropleth of a value by country, with the leading countries listed as buttons beside it. */
export function CountryMap({ title, valueLabel, data, formatValue, onSelect, className }: CountryMapProps) {
  const [shapes, setShapes] = useState<CountryShape[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    loadCountries().then(
      (loaded) => live && setShapes(loaded),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, []);

  const paths = useMemo(() => {
    if (!shapes) return null;
    const projection = geoEqualEarth().fitSize([WIDTH, HEIGHT], { type: 'FeatureCollection', features: shapes });
    const path = geoPath(projection);
    return shapes.map((shape) => ({ shape, d: path(shape) ?? '' }));
  }, [shapes]);

  const matched = useMemo(() => (shapes ? matchShapes(shapes, data) : new Map<CountryShape, number>()), [shapes, data]);
  const max = Math.max(0, ...data.map((d) => d.value));
  const table = {
    rowHeader: 'Country',
    columns: [valueLabel],
    rows: data.map((d) => ({ key: d.country, label: countryName(d.country), cells: [formatValue(d.value)] })),
  };
  const ranked = data
    .map((row, index) => ({ row, index }))
    .sort((a, b) => b.row.value - a.row.value)
    .slice(0, RANKED);
  const aside = (
    <ol aria-label={`Top countries by ${valueLabel.toLowerCase()}`} className="grid shrink-0 grid-cols-2 gap-x-3 gap-y-0.5 text-xs @xl:w-48 @xl:grid-cols-1 @xl:self-center">
      {ranked.map(({ row, index }) => (
        <li key={row.country}>
          <button
            type="button"
            disabled={!onSelect}
            onClick={() => onSelect?.(index)}
            className="flex w-full items-center gap-2 rounded px-1 py-0.5 text-left hover:bg-slate-100 disabled:hover:bg-transparent"
          >
            <span className="min-w-0 flex-1 truncate text-slate-700">{countryName(row.country)}</span>
            <span className="tabular-nums text-slate-500">{formatValue(row.value)}</span>
          </button>
        </li>
      ))}
    </ol>
  );

  return (
    <ChartFrame title={title} table={table} className={className} aside={aside}>
      {failed ? (
        <p className="p-4 text-sm text-slate-500">The map could not be loaded.</p>
      ) : !paths ? (
        <div className="flex h-full items-center justify-center">
          <Spinner size="sm" label="Loading the map" />
        </div>
      ) : (
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="xMidYMid meet" className="h-full w-full">
          {paths.map(({ shape, d }) => {
            const index = matched.get(shape);
            const row = index === undefined ? undefined : data[index];
            if (!row || index === undefined) {
              return <path key={shape.properties.name} d={d} fill="#f1f5f9" stroke="#cbd5e1" strokeWidth={0.5} />;
            }
            const t = max > 0 ? Math.sqrt(Math.max(0, row.value) / max) : 0;
            return (
              <path
                key={shape.properties.name}
                d={d}
                fill={shade(t)}
                stroke="#ffffff"
                strokeWidth={0.6}
                className={onSelect ? 'cursor-pointer hover:opacity-80' : undefined}
                onClick={() => onSelect?.(index)}
              >
                <title>{`${countryName(row.country)}: ${formatValue(row.value)}`}</title>
              </path>
            );
          })}
        </svg>
      )}
    </ChartFrame>
  );
}
