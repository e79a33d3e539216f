import type { z } from 'zod';
import { usageError } from '../errors';

const flagOf = (key: string) => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** Validates a hand-written command's options with zod; problems become usage errors naming the flag. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, label?: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({
    path: label ?? (i.path.length ? flagOf(String(i.path[0])) : 'options'),
    message: i.message,
  }));
  const first = issues[0]!;
  throw usageError(`${first.path}: ${first.message}`, undefined, { issues });
}
