/**
 * A small RFC 4180 CSV reader for the import preview: quoted fields, doubled quotes inside quotes,
 * separators and line breaks inside quotes, CRLF/LF/CR line ends and a UTF-8 byte-order mark.
 * It mirrors what the server's `csv.reader` sees, so the preview matches the import.
 */

/** Parse `text` into rows of fields; stops after `maxRows` rows (header included) when given. */
export function parseCsv(text: string, maxRows = Infinity): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = '';
  };
  while (i < text.length && rows.length < maxRows) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i += 1;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i += 1;
    } else field += c;
    i += 1;
  }
  if (rows.length < maxRows && (field !== '' || row.length > 0 || quoted)) endRow();
  return rows;
}

export interface CsvHead {
  header: string[];
  /** The first data rows, blank rows left out (the server skips them too). */
  rows: string[][];
}

/** Enough of a file to read its header and first rows without loading a 50 MB upload. */
const HEAD_BYTES = 256 * 1024;

/** The header (trimmed, as the server trims it) and up to `count` non-blank data rows of a CSV. */
export function csvHead(text: string, count: number): CsvHead {
  const [header = [], ...rest] = parseCsv(text, count * 4 + 1);
  const rows = rest.filter((r) => r.some((v) => v !== '')).slice(0, count);
  return { header: header.map((h) => h.trim()), rows };
}

/** Read the start of a CSV file; a row cut by the byte limit is dropped. */
export async function readCsvHead(file: Blob, count: number): Promise<CsvHead> {
  const whole = file.size <= HEAD_BYTES;
  let text = await file.slice(0, HEAD_BYTES).text();
  if (!whole) text = text.slice(0, Math.max(0, text.lastIndexOf('\n')));
  return csvHead(text, count);
}
