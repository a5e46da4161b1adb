import { useState, type ChangeEvent, type FormEvent } from 'react';
import { Badge, Button, Card, Field, Input, ProblemAlert, Select, SelectField, Table, TextArea, type Column } from '../../components';
import { fieldErrors } from '../../api/problem';
import { readCsvHead, type CsvHead } from './csv';
import { useUpload } from './hooks';
import {
  autoMap,
  duplicateFields,
  fieldsOf,
  mappingPayload,
  missingRequired,
  parseTypedMapping,
  previewRows,
  type ColumnMapping,
  type EntityColumns,
} from './mapping';

export const PREVIEW_ROWS = 5;

type Picked =
  | { kind: 'csv'; file: File; head: CsvHead }
  | { kind: 'xlsx'; file: File }
  | { kind: 'unreadable'; file: File; reason: string };

function kindOf(name: string): 'csv' | 'xlsx' | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.xlsx')) return 'xlsx';
  return null;
}

async function pick(file: File): Promise<Picked> {
  const kind = kindOf(file.name);
  if (kind === 'xlsx') return { kind, file };
  if (kind === null) return { kind: 'unreadable', file, reason: 'Choose a .csv or .xlsx file.' };
  try {
    return { kind, file, head: await readCsvHead(file, PREVIEW_ROWS) };
  } catch {
    return { kind: 'unreadable', file, reason: 'The file could not be read.' };
  }
}

/** Choose an entity and a CSV/XLSX file, check the column mapping and a preview, then upload. */
export function ImportWizard({ entities, onStarted }: { entities: EntityColumns[]; onStarted: (importId: string) => void }) {
  const [entity, setEntity] = useState(entities[0]?.entity ?? '');
  const [picked, setPicked] = useState<Picked | null>(null);
  const [mapping, setMapping] = useState<ColumnMapping>({});
  const [typed, setTyped] = useState('');
  const [fileKey, setFileKey] = useState(0);
  const upload = useUpload((id) => {
    setPicked(null);
    setMapping({});
    setTyped('');
    setFileKey((k) => k + 1); // clears the file input
    onStarted(id);
  });
  const columns = entities.find((e) => e.entity === entity);
  const errors = fieldErrors(upload.error);

  const chooseEntity = (next: string) => {
    setEntity(next);
    const nextColumns = entities.find((e) => e.entity === next);
    if (picked?.kind === 'csv' && nextColumns) setMapping(autoMap(picked.head.header, nextColumns));
    upload.reset();
  };

  const chooseFile = async (event: ChangeEvent<HTMLInputElement>) => {
    upload.reset();
    const file = event.target.files?.[0];
    if (!file) {
      setPicked(null);
      return;
    }
    const next = await pick(file);
    setPicked(next);
    setMapping(next.kind === 'csv' && columns ? autoMap(next.head.header, columns) : {});
  };

  const typedMapping = picked?.kind === 'xlsx' ? parseTypedMapping(typed) : null;
  const typedInvalid = picked?.kind === 'xlsx' && typed.trim() !== '' && typedMapping === null;
  const missing = picked?.kind === 'csv' && columns ? missingRequired(mapping, columns) : [];
  const duplicates = picked?.kind === 'csv' ? duplicateFields(mapping) : [];
  const ready = Boolean(columns) && picked !== null && picked.kind !== 'unreadable' && !typedInvalid && missing.length === 0 && duplicates.length === 0;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!ready || !picked) return;
    const payload = picked.kind === 'csv' ? mappingPayload(mapping) : typedMapping && Object.keys(typedMapping).length ? typedMapping : null;
    upload.mutate({ file: picked.file, entity, mapping: payload });
  };

  return (
    <Card title="Import a file" description="Bring records in from a CSV or Excel (.xlsx) export. The first row names the columns.">
      <form className="space-y-5" onSubmit={submit} aria-label="Import a file" noValidate>
        <div className="grid gap-4 sm:grid-cols-2">
          <SelectField
            label="What the file holds"
            value={entity}
            onChange={(e) => chooseEntity(e.target.value)}
            options={entities.map((e) => ({ value: e.entity, label: e.entity.replace('_', ' ') }))}
            error={errors.entity}
          />
          <Field label="File" error={errors.file ?? (picked?.kind === 'unreadable' ? picked.reason : null)} hint="CSV (UTF-8) or XLSX, up to 50 MB.">
            {(control) => <Input key={fileKey} type="file" accept=".csv,.xlsx,text/csv" onChange={(e) => void chooseFile(e)} {...control} />}
          </Field>
        </div>
        {columns && <RequiredFields columns={columns} />}
        {picked?.kind === 'csv' && columns && (
          <MappingStep head={picked.head} columns={columns} mapping={mapping} onChange={setMapping} error={errors.mapping} missing={missing} duplicates={duplicates} />
        )}
        {picked?.kind === 'xlsx' && (
          <Field
            label="Column mapping (optional)"
            error={errors.mapping ?? (typedInvalid ? 'Write one "file column=field" pair per line.' : null)}
            hint='The browser does not preview Excel files. If the headers are not the field names above, write one "file column=field" pair per line.'
          >
            {(control) => <TextArea rows={3} value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="E-mail=email" {...control} />}
          </Field>
        )}
        {upload.error && !Object.keys(errors).length && <ProblemAlert error={upload.error} title="The file was not accepted" />}
        <div className="flex justify-end">
          <Button type="submit" disabled={!ready} loading={upload.isPending}>
            Import
          </Button>
        </div>
      </form>
    </Card>
  );
}

function RequiredFields({ columns }: { columns: EntityColumns }) {
  return (
    <p className="text-sm text-slate-600">
      Fields: {columns.required.map((f) => <code key={f} className="mr-1 font-semibold text-slate-900">{f}*</code>)}
      {columns.optional.map((f) => <code key={f} className="mr-1 text-slate-600">{f}</code>)}
      <span className="text-slate-500"> (* required)</span>
    </p>
  );
}

interface MappingStepProps {
  head: CsvHead;
  columns: EntityColumns;
  mapping: ColumnMapping;
  onChange: (mapping: ColumnMapping) => void;
  error: string | undefined;
  missing: string[];
  duplicates: string[];
}

function MappingStep({ head, columns, mapping, onChange, error, missing, duplicates }: MappingStepProps) {
  const fields = fieldsOf(columns);
  const required = new Set(columns.required);
  const mappingColumns: Column<string>[] = [
    { key: 'column', header: 'File column', cell: (c) => <span className="font-mono text-xs">{c || '(blank)'}</span> },
    {
      key: 'field',
      header: 'Imported as',
      cell: (c) => (
        <Select aria-label={`Field for ${c}`} value={mapping[c] ?? ''} onChange={(e) => onChange({ ...mapping, [c]: e.target.value })} className="max-w-56">
          <option value="">— not imported —</option>
          {fields.map((f) => (
            <option key={f} value={f}>
              {required.has(f) ? `${f} (required)` : f}
            </option>
          ))}
        </Select>
      ),
    },
    { key: 'sample', header: 'First value', cell: (c) => <span className="text-slate-500">{head.rows[0]?.[head.header.indexOf(c)] ?? ''}</span> },
  ];
  const mappedFields = fields.filter((f) => Object.values(mapping).includes(f));
  const preview = previewRows(head.header, head.rows, mapping).map((r, i) => ({ ...r, __key: `${i}` }));
  const previewColumns: Column<Record<string, string>>[] = mappedFields.map((f) => ({
    key: f,
    header: required.has(f) ? `${f}*` : f,
    cell: (r) => r[f] || <span className="text-slate-300">—</span>,
  }));
  return (
    <div className="space-y-4">
      <Table caption="Column mapping" captionVisible columns={mappingColumns} rows={head.header} rowKey={(c) => c} />
      {missing.length > 0 && (
        <p role="alert" className="text-sm font-medium text-amber-800">
          Required {missing.length === 1 ? 'field' : 'fields'} without a column: {missing.join(', ')}.
        </p>
      )}
      {duplicates.length > 0 && (
        <p role="alert" className="text-sm font-medium text-amber-800">
          Each field can come from one column only: {duplicates.join(', ')}.
        </p>
      )}
      {error && (
        <p role="alert" className="text-sm font-medium text-red-600">
          {error}
        </p>
      )}
      {mappedFields.length > 0 && (
        <div>
          <div className="flex items-center gap-2 pb-2">
            <h3 className="text-sm font-medium text-slate-700">Preview</h3>
            <Badge>first {Math.min(PREVIEW_ROWS, head.rows.length)} rows</Badge>
          </div>
          <Table caption="Preview of the import" columns={previewColumns} rows={preview} rowKey={(r) => r.__key!} empty="The file has no data rows." />
        </div>
      )}
    </div>
  );
}
