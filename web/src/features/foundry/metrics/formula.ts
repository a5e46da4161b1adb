/**
 * What the custom-metric form knows about formulas before the server sees them: the base measures
 * (the variables the built-in metrics' formulas use), the names a formula uses, and inserting a
 * measure at the cursor. The server (foundry/service.py validate_custom_metric) has the last word.
 */
import type { MetricOut } from '../types';

/** A metric's name: the server's pattern for CustomMetricIn.name. */
export const METRIC_NAME = /^[a-z][a-z0-9_]*$/;

/** Calendar months in the period: a formula variable (as in "mrr"), not a measure. */
export const MONTHS_VARIABLE = 'months';

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/g;

/** The distinct names a formula uses, in order of first use. */
export function formulaNames(formula: string): string[] {
  return [...new Set(formula.match(IDENTIFIER) ?? [])];
}

/** The base measures a custom metric can be built from, read off the built-in metrics' formulas. */
export function baseMeasures(metrics: readonly MetricOut[]): string[] {
  const names = new Set<string>();
  for (const metric of metrics) {
    if (metric.custom || !metric.formula) continue;
    for (const name of formulaNames(metric.formula)) {
      if (name !== MONTHS_VARIABLE) names.add(name);
    }
  }
  return [...names].sort();
}

/** Names in `formula` that are neither a base measure nor the months variable. */
export function unknownNames(formula: string, measures: readonly string[]): string[] {
  const known = new Set([...measures, MONTHS_VARIABLE]);
  return formulaNames(formula).filter((name) => !known.has(name));
}

export interface Inserted {
  text: string;
  /** Where the cursor goes: just after the inserted name. */
  caret: number;
}

/**
 * `name` put in place of the selection [start, end), spaced from its neighbours ("a -" + b →
 * "a - b") except inside parentheses ("(" + b → "(b").
 */
export function insertName(formula: string, name: string, start: number, end: number = start): Inserted {
  const before = formula.slice(0, start);
  const after = formula.slice(end);
  const needsSpace = (char: string | undefined, paren: string) => char !== undefined && char !== paren && !/\s/.test(char);
  const lead = needsSpace(before[before.length - 1], '(') ? ' ' : '';
  const trail = needsSpace(after[0], ')') ? ' ' : '';
  const text = `${before}${lead}${name}${trail}${after}`;
  return { text, caret: before.length + lead.length + name.length };
}
