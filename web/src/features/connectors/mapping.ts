/** Matching a file's columns to an entity's canonical fields, and what the server will receive. */

export interface EntityColumns {
  entity: string;
  required: string[];
  optional: string[];
}

/** file column → canonical field ('' = not imported under a canonical name). */
export type ColumnMapping = Record<string, string>;

/** "E-mail Address " → "e_mail_address": case, spaces and punctuation do not matter. */
export function normaliseName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export function fieldsOf(columns: EntityColumns): string[] {
  return [...columns.required, ...columns.optional];
}

/** Each file column matched to the field with the same normalised name; each field is used once. */
export function autoMap(header: string[], columns: EntityColumns): ColumnMapping {
  const byName = new Map(fieldsOf(columns).map((f) => [normaliseName(f), f]));
  const used = new Set<string>();
  const mapping: ColumnMapping = {};
  for (const column of header) {
    const field = byName.get(normaliseName(column));
    if (field && !used.has(field)) {
      used.add(field);
      mapping[column] = field;
    } else mapping[column] = '';
  }
  return mapping;
}

/** Required fields no file column is mapped to. */
export function missingRequired(mapping: ColumnMapping, columns: EntityColumns): string[] {
  const mapped = new Set(Object.values(mapping));
  return columns.required.filter((f) => !mapped.has(f));
}

/** Fields chosen for more than one file column (the server would keep only one of them). */
export function duplicateFields(mapping: ColumnMapping): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const field of Object.values(mapping)) {
    if (!field) continue;
    if (seen.has(field)) twice.add(field);
    seen.add(field);
  }
  return [...twice];
}

/** The `mapping` form value: only the columns whose name differs from their field; null if none. */
export function mappingPayload(mapping: ColumnMapping): Record<string, string> | null {
  const renamed = Object.entries(mapping).filter(([column, field]) => field && field !== column);
  return renamed.length ? Object.fromEntries(renamed) : null;
}

/** Data rows as the import will read them: one object per row keyed by canonical field. */
export function previewRows(header: string[], rows: string[][], mapping: ColumnMapping): Record<string, string>[] {
  return rows.map((values) => {
    const record: Record<string, string> = {};
    header.forEach((column, index) => {
      const field = mapping[column];
      if (field) record[field] = values[index] ?? '';
    });
    return record;
  });
}

/** Parse "Email Address=email, Name=name" typed by hand (for XLSX files the browser does not read). */
export function parseTypedMapping(text: string): ColumnMapping | null {
  const pairs = text
    .split(/[,\n]/)
    .map((p) => p.trim())
    .filter(Boolean);
  const mapping: ColumnMapping = {};
  for (const pair of pairs) {
    const at = pair.lastIndexOf('=');
    if (at <= 0 || at === pair.length - 1) return null;
    mapping[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return mapping;
}
