import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, ErrorCode, httpStatusFor, toErrorBody, type Logger } from '@codex-manager/core';

/** The one place where errors become HTTP responses. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let e = err;
    const bodyErr = err as { type?: string; status?: number; message?: string };
    if (bodyErr?.type === 'entity.parse.failed') {
      e = new AppError(ErrorCode.invalidJson, `request body is not valid JSON: ${bodyErr.message}`);
    } else if (bodyErr?.type === 'entity.too.large') {
      e = new AppError(ErrorCode.invalidRequest, 'request body is too large', { details: { limit: '1mb' } });
    } else if (bodyErr?.type && typeof bodyErr.status === 'number' && bodyErr.status < 500) {
      e = new AppError(ErrorCode.invalidRequest, bodyErr.message ?? 'bad request');
    }
    const status = httpStatusFor(e);
    if (status >= 500)
      log.error({ err: (err as Error)?.stack ?? String(err), path: req.path }, 'request failed');
    if (res.headersSent) return;
    res.status(status).json(toErrorBody(e));
  };
}

export const notFoundRoute: RequestHandler = (req, _res, next) =>
  next(new AppError(ErrorCode.notFound, `no route ${req.method} ${req.path}`));
