import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError, ErrorCode } from '@codex-manager/core';

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

/** When a token is configured every /api route needs it (SSE may pass `?access_token=` instead). */
export function requireToken(token: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (!token) return next();
    const presented =
      bearerFrom(req.headers.authorization) ??
      (typeof req.query.access_token === 'string' ? req.query.access_token : undefined);
    if (tokenMatches(token, presented)) return next();
    next(
      new AppError(ErrorCode.unauthorized, 'missing or wrong bearer token', {
        suggestion: 'send Authorization: Bearer <CM_API_TOKEN>',
      }),
    );
  };
}
