import type { z } from 'zod';
import { invalidRequest } from '@codex-manager/core';

/** Parses `input` with `schema` or throws a 400 listing each problem with its path. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
  throw invalidRequest(`invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    issues,
  });
}
