const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const OMIT = new Set(['level', 'time', 'service', 'pid', 'msg', 'hostname']);

/**
 * Turns a service's JSON log line into one short human line for the terminal; the JSON line itself
 * goes unchanged to the service's log file.
 */
export function humanLine(service: string, line: string, minLevel: string): string | null {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${service.padEnd(15)} ${line}`;
  }
  const level = String(entry.level ?? 'info');
  if ((LEVELS[level] ?? 30) < (LEVELS[minLevel] ?? 30)) return null;
  const rest = Object.entries(entry)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const tag = level === 'info' ? '' : `${level.toUpperCase()} `;
  return `${service.padEnd(15)} ${tag}${String(entry.msg ?? '')}${rest ? `  ${rest}` : ''}`;
}
