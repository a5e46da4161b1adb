/** Rows of "field · comparison · value", for event filters and if/else steps. */
import { useId } from 'react';
import { Button, Input, Select } from '../../../components';
import { IconPlus, IconX } from '../../../components/Icons';
import type { DraftCondition } from './fields';
import { NO_VALUE_OPERATORS, OPERATORS } from './labels';
import type { Operator } from './types';

interface ConditionRowsProps {
  rows: DraftCondition[];
  onChange: (rows: DraftCondition[]) => void;
  /** Paths offered for the field (the user may type any other). */
  paths: string[];
  match: 'all' | 'any';
  onMatch: (match: 'all' | 'any') => void;
  label: string;
  /** The field a new row starts with. */
  newField?: string;
}

export function ConditionRows({ rows, onChange, paths, match, onMatch, label, newField = '' }: ConditionRowsProps) {
  const listId = useId();
  const set = (index: number, change: Partial<DraftCondition>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-slate-700">{label}</legend>
      {rows.length > 1 && (
        <label className="flex items-center gap-2 text-sm text-slate-600">
          Match
          <Select className="w-auto py-1" value={match} onChange={(e) => onMatch(e.target.value as 'all' | 'any')} aria-label={`${label}: match`}>
            <option value="all">all of these</option>
            <option value="any">any of these</option>
          </Select>
        </label>
      )}
      <datalist id={listId}>
        {paths.map((path) => (
          <option key={path} value={path} />
        ))}
      </datalist>
      <ol className="space-y-2" aria-label={label}>
        {rows.map((row, index) => {
          const n = index + 1;
          return (
            <li key={index} className="flex flex-wrap items-center gap-2 sm:flex-nowrap">
              <Input
                aria-label={`Field ${n}`}
                list={listId}
                value={row.field}
                placeholder="trigger.total"
                className="min-w-0 flex-[2] font-mono text-[13px]"
                onChange={(e) => set(index, { field: e.target.value })}
                spellCheck={false}
              />
              <Select aria-label={`Comparison ${n}`} className="w-auto flex-1" value={row.op} onChange={(e) => set(index, { op: e.target.value as Operator })}>
                {OPERATORS.map((op) => (
                  <option key={op.value} value={op.value}>
                    {op.symbol === op.label ? op.label : `${op.symbol}  ${op.label}`}
                  </option>
                ))}
              </Select>
              {!NO_VALUE_OPERATORS.has(row.op) && (
                <Input
                  aria-label={`Value ${n}`}
                  value={row.value}
                  className="min-w-0 flex-1"
                  placeholder={row.op === 'in' || row.op === 'not_in' ? 'a, b, c' : ''}
                  onChange={(e) => set(index, { value: e.target.value })}
                />
              )}
              <button
                type="button"
                className="rounded-md p-1.5 text-slate-400 hover:bg-slate-100 hover:text-red-600"
                aria-label={`Remove condition ${n}`}
                onClick={() => onChange(rows.filter((_, i) => i !== index))}
              >
                <IconX className="h-4 w-4" />
              </button>
            </li>
          );
        })}
      </ol>
      <Button variant="secondary" size="sm" icon={<IconPlus className="h-3.5 w-3.5" />} onClick={() => onChange([...rows, { field: newField, op: newField ? 'gt' : 'eq', value: '' }])}>
        Add condition
      </Button>
    </fieldset>
  );
}
