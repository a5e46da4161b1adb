import { describe, expect, it } from 'vitest';
import { csvHead, parseCsv, readCsvHead } from './csv';

describe('parseCsv', () => {
  it('splits plain rows on commas and line ends', () => {
    expect(parseCsv('a,b,c\n1,2,3\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ]);
  });

  it('keeps commas, doubled quotes and line breaks inside quoted fields', () => {
    const text = 'name,note\r\n"Lima, Ana","She said ""hi""\r\nthen left"\r\n"",x\r\n';
    expect(parseCsv(text)).toEqual([
      ['name', 'note'],
      ['Lima, Ana', 'She said "hi"\r\nthen left'],
      ['', 'x'],
    ]);
  });

  it('handles CR line ends, a BOM, empty fields and a last row without a line end', () => {
    expect(parseCsv('\uFEFFa,b\r1,\r,2')).toEqual([
      ['a', 'b'],
      ['1', ''],
      ['', '2'],
    ]);
  });

  it('treats a quote inside an unquoted field as text, as Python\'s csv does', () => {
    expect(parseCsv('5" screen,x')).toEqual([['5" screen', 'x']]);
  });

  it('stops after maxRows rows', () => {
    expect(parseCsv('h\n1\n2\n3\n', 2)).toEqual([['h'], ['1']]);
  });

  it('reads nothing from an empty text', () => {
    expect(parseCsv('')).toEqual([]);
  });
});

describe('csvHead', () => {
  it('trims the header and skips blank rows', () => {
    expect(csvHead(' email , name\n\na@x.io,Ana\n,\nb@x.io,Ben\n', 5)).toEqual({
      header: ['email', 'name'],
      rows: [
        ['a@x.io', 'Ana'],
        ['b@x.io', 'Ben'],
      ],
    });
  });

  it('reads only the first rows of a file', async () => {
    const lines = ['email,name', ...Array.from({ length: 50_000 }, (_, i) => `p${i}@x.io,Person ${i}`)];
    const head = await readCsvHead(new Blob([lines.join('\n')]), 5);
    expect(head.header).toEqual(['email', 'name']);
    expect(head.rows).toHaveLength(5);
    expect(head.rows[4]).toEqual(['p4@x.io', 'Person 4']);
  });
});
