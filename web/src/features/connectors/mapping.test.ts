import { describe, expect, it } from 'vitest';
import { autoMap, duplicateFields, mappingPayload, missingRequired, normaliseName, parseTypedMapping, previewRows } from './mapping';

const customers = { entity: 'customers', required: ['email', 'name'], optional: ['country', 'city', 'created_at', 'phone'] };

describe('column mapping', () => {
  it('normalises names: case, spaces and punctuation do not matter', () => {
    expect(normaliseName('  Created-At ')).toBe('created_at');
    expect(normaliseName('E-mail')).toBe('e_mail');
  });

  it('matches columns to fields by normalised name, each field once', () => {
    const mapping = autoMap(['Email', 'NAME', 'Created At', 'Notes', 'email'], customers);
    expect(mapping).toEqual({ Email: 'email', NAME: 'name', 'Created At': 'created_at', Notes: '', email: '' });
    expect(missingRequired(mapping, customers)).toEqual([]);
  });

  it('lists the required fields no column maps to', () => {
    expect(missingRequired(autoMap(['Mail', 'Name'], customers), customers)).toEqual(['email']);
  });

  it('finds a field chosen twice', () => {
    expect(duplicateFields({ a: 'email', b: 'email', c: '' })).toEqual(['email']);
  });

  it('sends only renamed columns, and nothing for canonical headers', () => {
    expect(mappingPayload({ Email: 'email', name: 'name', Notes: '' })).toEqual({ Email: 'email' });
    expect(mappingPayload({ email: 'email', name: 'name' })).toBeNull();
  });

  it('previews rows keyed by field, leaving unmapped columns out', () => {
    const header = ['Mail', 'Name', 'Notes'];
    const rows = [['a@x.io', 'Ana', 'vip'], ['b@x.io']];
    expect(previewRows(header, rows, { Mail: 'email', Name: 'name', Notes: '' })).toEqual([
      { email: 'a@x.io', name: 'Ana' },
      { email: 'b@x.io', name: '' },
    ]);
  });

  it('parses a typed mapping, one pair per line or comma', () => {
    expect(parseTypedMapping('E-mail = email\nFull name=name')).toEqual({ 'E-mail': 'email', 'Full name': 'name' });
    expect(parseTypedMapping('')).toEqual({});
    expect(parseTypedMapping('just words')).toBeNull();
  });
});
