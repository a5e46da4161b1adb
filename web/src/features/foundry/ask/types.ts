/**
 * Shapes of the Ask endpoint (POST /query), mirroring QuestionIn / QuestionOut in
 * src/binelek/foundry/schemas.py; the shared query shapes live in ../types.
 */
import type { Cell, ColumnType, SemanticQuery, WidgetType } from '../types';

export interface ChartOut {
  type: WidgetType;
  x?: string | null;
  y: string[];
  series?: string | null;
}

export interface AnswerColumn {
  name: string;
  type: ColumnType;
}

export interface QuestionOut {
  understood: boolean;
  interpretation: string;
  sql: string | null;
  columns: AnswerColumn[];
  rows: Cell[][];
  chart: ChartOut | null;
  answer: string;
  semantic_query?: SemanticQuery | null;
  /** "local", or the AI provider that answered. */
  engine: string;
  /** Questions it can answer, when it could not answer this one. */
  suggestions: string[];
  /** The company's currency (ISO 4217), for money columns; null when unknown. */
  currency?: string | null;
}

export interface QuestionIn {
  query: string;
  timezone?: string | null;
}
