/**
 * What the NOTIFY of an append tells its listeners (channel `cm_events`): the seq range it
 * committed and the distinct types in it, as `<last> <first> <type,type,…>` (`*` instead of the
 * types when they would not fit a NOTIFY payload). Appends commit in seq order and NOTIFYs arrive in
 * commit order, so a listener whose position is just before `first` knows exactly what it missed.
 */
export interface EventNotice {
  first: number;
  last: number;
  /** Distinct event types in the range; null when unknown (read the range to find out). */
  types: string[] | null;
}

/** Longest list of types a notice carries (PostgreSQL's payload limit is 8,000 bytes). */
export const NOTICE_TYPES_MAX_CHARS = 7000;

export function parseEventNotice(payload: string): EventNotice | null {
  const [last, first, types] = payload.split(' ');
  const l = Number(last);
  const f = Number(first ?? last);
  if (!Number.isSafeInteger(l) || !Number.isSafeInteger(f) || l <= 0 || f <= 0 || f > l) return null;
  return { first: f, last: l, types: types && types !== '*' ? types.split(',') : null };
}

/**
 * Whether a listener that has seen everything up to `position`, and wants only types starting with
 * one of `prefixes` (undefined: every type), can move to `notice.last` without reading: the range
 * follows its position and holds nothing it wants.
 */
export function noticeSkips(notice: EventNotice, position: number, prefixes: string[] | undefined): boolean {
  if (notice.last <= position) return true;
  if (notice.first > position + 1 || notice.types === null || prefixes === undefined) return false;
  return !notice.types.some((t) => prefixes.some((p) => t.startsWith(p)));
}
