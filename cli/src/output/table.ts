import { visibleLength, type Style } from './style';

/**
 * Tables for list responses. Columns: the well-known fields first (ids, names, states, times), then
 * other scalar fields, as many as fit the terminal; long text is cut with an ellipsis, ids never are.
 */
const PREFERRED = [
  'id',
  'name',
  'title',
  'displayName',
  'kind',
  'type',
  'status',
  'state',
  'decision',
  'sessionId',
  'projectId',
  'turnId',
  'model',
  'version',
  'priority',
  'attempts',
  'enabled',
  'trust',
  'scope',
  'key',
  'value',
  'actor',
  'source',
  'createdAt',
  'updatedAt',
];

/** Text columns are cut down to this width, no further, when a table must fit the terminal. */
const MIN_TEXT_WIDTH = 12;
/** More columns than this stop being readable; --json has everything. */
const MAX_COLUMNS = 8;

const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const isIdColumn = (k: string) => k === 'id' || /Id$/.test(k);
/** `createdAt` → `CREATED AT` */
const headerOf = (c: string) => c.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toUpperCase();

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** ISO timestamps read as local `YYYY-MM-DD HH:MM:SS`; nulls as `-`; objects as compact JSON. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') {
    if (ISO.test(v)) {
      const d = new Date(v);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    }
    return v.replace(/\s+/g, ' ');
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function chooseColumns(rows: Record<string, unknown>[], maxWidth: number): string[] {
  const keys: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  const scalar = keys.filter((k) => rows.every((r) => r[k] === undefined || isScalar(r[k])));
  const ordered = [
    ...PREFERRED.filter((k) => scalar.includes(k)),
    ...scalar.filter((k) => !PREFERRED.includes(k)),
  ];
  if (ordered.length === 0) return keys.slice(0, 4);
  const cols: string[] = [];
  let width = 0;
  for (const k of ordered) {
    // Ids count at full width; other columns at the width they can be cut down to.
    const natural = Math.max(headerOf(k).length, ...rows.map((r) => visibleLength(cellText(r[k]))));
    const w = isIdColumn(k) ? natural : Math.min(natural, MIN_TEXT_WIDTH);
    if (cols.length >= MAX_COLUMNS) break;
    if (cols.length > 0 && width + w + 2 > maxWidth) continue;
    cols.push(k);
    width += w + 2;
  }
  return cols;
}

const truncate = (s: string, w: number) =>
  visibleLength(s) <= w ? s : [...s].slice(0, w - 1).join('') + '…';

export function renderTable(
  rows: Record<string, unknown>[],
  style: Style,
  maxWidth: number,
  columns = chooseColumns(rows, maxWidth),
): string {
  if (rows.length === 0) return style.dim('(none)');
  const headers = columns.map(headerOf);
  const cells = rows.map((r) => columns.map((c) => cellText(r[c])));
  const widths = columns.map((_, i) =>
    Math.max(headers[i]!.length, ...cells.map((row) => visibleLength(row[i]!))),
  );
  // Shrink the widest non-id columns until the table fits.
  const total = () => widths.reduce((a, b) => a + b + 2, -2);
  while (total() > maxWidth) {
    let widest = -1;
    widths.forEach((w, i) => {
      if (!isIdColumn(columns[i]!) && w > MIN_TEXT_WIDTH && (widest < 0 || w > widths[widest]!)) widest = i;
    });
    if (widest < 0) break;
    widths[widest] = Math.max(MIN_TEXT_WIDTH, widths[widest]! - (total() - maxWidth));
  }
  const line = (vals: string[]) =>
    vals
      .map((v, i) => {
        const t = truncate(v, widths[i]!);
        return i === vals.length - 1 ? t : t + ' '.repeat(widths[i]! - visibleLength(t));
      })
      .join('  ');
  return [style.bold(line(headers)), ...cells.map(line)].join('\n');
}
