import type { Request } from 'express';
import type { Origin } from '@codex-manager/core';

export type { Origin };

const clean = (v: string | undefined, fallback: string): string => {
  const s = (v ?? '').trim().slice(0, 120);
  return /^[\w.:@/-]+$/.test(s) ? s : fallback;
};

export function originOf(req: Request): Origin {
  return { actor: clean(req.header('x-actor'), 'anonymous'), source: clean(req.header('x-client'), 'api') };
}
