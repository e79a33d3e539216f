import type { RequestHandler } from 'express';
import { hashRequest, invalidRequest, type IdempotencyStore } from '@codex-manager/core';

/**
 * Invariant 4 for every mutating route: with an `Idempotency-Key` header, the first result is stored
 * and a repeat gets it back (`Idempotent-Replay: true`).
 */
export function idempotency(store: IdempotencyStore): RequestHandler {
  return (req, res, next) => {
    const key = req.header('idempotency-key');
    if (!key || !['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method)) return next();
    if (key.length > 200) return next(invalidRequest('Idempotency-Key is longer than 200 characters'));
    const scope = `${req.method} ${req.baseUrl}${req.path}`;
    store.begin(scope, key, hashRequest([req.body ?? null])).then((begin) => {
      if (begin.state === 'replay') {
        res.setHeader('Idempotent-Replay', 'true');
        res.status(begin.statusCode).json(begin.body);
        return;
      }
      const json = res.json.bind(res);
      // The result is stored before it is sent: a client that repeats the request as soon as it has
      // the answer must get the replay, not "in progress".
      res.json = (body: unknown) => {
        void store
          .complete(scope, key, res.statusCode, body)
          .catch(() => undefined)
          .then(() => json(body));
        return res;
      };
      next();
    }, next);
  };
}
