import type { Request } from 'express';

/** Where a mutating call came from, recorded with every audited change and every decision. */
export interface Origin {
  /** Who: the `X-Actor` header (a user name or `extension:<name>`), else `anonymous`. */
  actor: string;
  /** Which client: the `X-Client` header (`web`, `cli`, `sdk`, …), else `api`. */
  source: string;
}

const clean = (v: string | undefined, fallback: string): string => {
  const s = (v ?? '').trim().slice(0, 120);
  return /^[\w.:@/-]+$/.test(s) ? s : fallback;
};

export function originOf(req: Request): Origin {
  return { actor: clean(req.header('x-actor'), 'anonymous'), source: clean(req.header('x-client'), 'api') };
}
