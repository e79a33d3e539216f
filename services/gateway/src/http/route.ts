import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Role } from '@codex-manager/core';
import { assertRole } from './roles';
import { parse } from './validate';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
}

export interface HandlerContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export interface HandlerResult {
  status?: number;
  body?: unknown;
}

type Obj = z.ZodObject<z.ZodRawShape>;

/**
 * One route: its shape (used for validation, the OpenAPI document, the CLI's commands and the SDK's
 * methods) and its handler. `operationId` is `<group>.<action>`, e.g. `sessions.sendMessage`.
 */
export interface RouteSpec<P extends Obj = Obj, Q extends Obj = Obj, B extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  /** Express path relative to /api, e.g. `/sessions/:id/messages`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, RouteResponse>;
  /** The response is a Server-Sent Events stream, not JSON. */
  stream?: boolean;
  /** The least role a token needs; default viewer for `get`, operator otherwise (see http/roles.ts). */
  role?: Role;
  /** Return the status and JSON body, or write the response yourself and return nothing. */
  handler(
    ctx: HandlerContext<z.output<P>, z.output<Q>, z.output<B>>,
  ): Promise<HandlerResult | void> | HandlerResult | void;
}

export function route<P extends Obj = Obj, Q extends Obj = Obj, B extends z.ZodType = z.ZodType>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** Validates params, query and body with the route's schemas before the handler runs. */
export function mount(router: Router, routes: RouteSpec[]): void {
  for (const r of routes) {
    const role: Role = r.role ?? (r.method === 'get' ? 'viewer' : 'operator');
    router[r.method](r.path, async (req, res) => {
      res.locals.operationId = r.operationId;
      assertRole((res.locals.role as Role | undefined) ?? 'admin', role);
      const params = r.params ? parse(r.params, req.params, 'params') : req.params;
      const query = r.query ? parse(r.query, req.query, 'query') : {};
      const body = r.body ? parse(r.body, req.body ?? {}, 'body') : undefined;
      const out = await r.handler({ params, query, body, req, res });
      if (out && !res.headersSent) {
        if (out.body === undefined) res.status(out.status ?? 204).end();
        else res.status(out.status ?? 200).json(out.body);
      }
    });
  }
}
