/**
 * Shapes of the data sources endpoints: the generated API types, with the `quality` and `detail`
 * dictionaries typed as src/binelek/foundry/datasources.py fills them (an external table's entry
 * mirrors ExternalTableOut in schemas.py).
 */
import type { components } from '../../../api/schema';

export interface TableQuality {
  rows: number;
  completeness: number | null;
  /** Rows missing each checked column. */
  missing: Record<string, number>;
}

// Type aliases (not interfaces) so the generated dictionaries can be narrowed to them.
export type SourceQuality = {
  /** Filled share of the checked cells, 0..1; null without rows or when not measured. */
  completeness: number | null;
  duplicates: number | null;
  checked_columns: string[];
  /** "customers.email" → duplicates found by it. */
  duplicates_by?: Record<string, number>;
  tables?: Record<string, TableQuality>;
};

export interface ExternalColumn {
  name: string;
  type: string;
  nullable: boolean;
}

export interface ExternalTable {
  schema_name: string | null;
  name: string;
  /** What the preview endpoint takes: "orders", or "sales.orders" outside `public`. */
  qualified_name: string;
  type: 'table' | 'view';
  row_estimate: number | null;
  rows_exact: boolean;
  columns: ExternalColumn[];
}

export interface FileImportSummary {
  id: string;
  filename: string;
  entity: string;
  status: string;
  rows_imported: number;
  rows_failed: number;
  created_at: string;
  finished_at: string | null;
}

export type SourceDetail = {
  connection_id?: string | null;
  last_error?: string | null;
  freshness?: { last_synced_at: string | null; age_seconds: number | null; newest_record_at: string | null };
  created_at?: string;
  imports?: number;
  last_import?: FileImportSummary | null;
  last_run?: { status: string; trigger: string; finished_at: string | null };
  url_hint?: string;
  introspected_at?: string | null;
  table_count?: number;
  tables?: ExternalTable[];
};

type Schemas = components['schemas'];

/**
 * A data source: the generated shape, with its free-form `quality` and `detail` dictionaries typed
 * as datasources.py fills them (the server always sends `detail`).
 */
export type DataSourceOut = Omit<Schemas['DataSourceOut'], 'quality' | 'detail'> & { quality: SourceQuality; detail: SourceDetail };
export type RawDataSource = Schemas['DataSourceOut'];
export type SourceKind = DataSourceOut['kind'];
export type ExternalDatabaseIn = Schemas['ExternalDatabaseIn'];
export type TablePreview = Schemas['ExternalTablePreviewOut'];
