import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError, ErrorCode } from '@codex-manager/core';
import type { TokenEntry } from './roles';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time bearer check (hashing first makes the comparison length-independent). */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(expected), digest(presented));
}

export function bearerFrom(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m?.[1]?.trim();
}

/**
 * When tokens are configured every /api route needs one (SSE may pass `?access_token=` instead);
 * the matching token's role goes to `res.locals.role`. Every entry is compared, so the time taken
 * does not tell which one matched.
 */
export function requireToken(tokens: TokenEntry[]): RequestHandler {
  return (req, res, next) => {
    if (tokens.length === 0) {
      res.locals.role = 'admin';
      return next();
    }
    const presented =
      bearerFrom(req.headers.authorization) ??
      (typeof req.query.access_token === 'string' ? req.query.access_token : undefined);
    let role: TokenEntry['role'] | undefined;
    for (const t of tokens) if (tokenMatches(t.token, presented) && role === undefined) role = t.role;
    if (role) {
      res.locals.role = role;
      return next();
    }
    next(
      new AppError(ErrorCode.unauthorized, 'missing or wrong bearer token', {
        suggestion: 'send Authorization: Bearer <CM_API_TOKEN>',
      }),
    );
  };
}
