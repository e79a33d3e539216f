import { z } from 'zod';
import type { RouteSpec } from './route';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'object' },
        suggestion: { type: 'string' },
      },
    },
  },
};

const jsonSchema = (s: z.ZodType, io: 'input' | 'output') => {
  const out = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
};

/** `/sessions/:id` → `/api/sessions/{id}` */
export const openApiPath = (path: string): string => '/api' + path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The OpenAPI 3.1 document, generated from the route specs (served at /api/openapi.json). */
export function openApiDocument(routes: RouteSpec[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of [...routes].sort((a, b) => a.operationId.localeCompare(b.operationId))) {
    const p = (paths[openApiPath(r.path)] ??= {});
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!schema) continue;
      const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(js.properties ?? {})) {
        parameters.push({
          name,
          in: where,
          required: where === 'path' || (js.required ?? []).includes(name),
          schema: s,
        });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, resp] of Object.entries(r.responses)) {
      const content =
        r.stream && status === '200'
          ? { 'text/event-stream': { schema: { type: 'string' } } }
          : resp.schema
            ? { 'application/json': { schema: jsonSchema(resp.schema, 'output') } }
            : undefined;
      responses[status] = { description: resp.description, ...(content ? { content } : {}) };
    }
    responses.default = { description: 'Error', content: { 'application/json': { schema: ERROR_SCHEMA } } };
    p[r.method] = {
      operationId: r.operationId,
      tags: [r.operationId.split('.')[0]],
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(r.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Codex Manager API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{}, { bearer: [] }],
    paths,
  };
}
