import fs from 'node:fs';
import path from 'node:path';

/**
 * The part of the committed OpenAPI document (docs/openapi.json, generated from the gateway's route
 * specs) that the CLI reads to build one command per route at load time: a route merged into the
 * gateway becomes a command as soon as `npm run openapi` has refreshed the document.
 */
export const OPENAPI_FILE = path.resolve(__dirname, '../../../docs/openapi.json');

/** The JSON Schema keywords zod's generator emits and the CLI understands. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  description?: string;
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

interface RawParameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}

interface RawOperation {
  operationId: string;
  summary?: string;
  description?: string;
  parameters?: RawParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Partial<Record<HttpMethod, RawOperation>>>;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
const METHODS: HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

export interface Param {
  name: string;
  required: boolean;
  description: string | undefined;
  schema: JsonSchema;
}

/** One API route as the CLI sees it. */
export interface Operation {
  /** `<group>.<action>`, e.g. `sessions.sendMessage`. */
  id: string;
  group: string;
  action: string;
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/api/sessions/{id}/messages`. */
  path: string;
  summary: string;
  description: string | undefined;
  /** In the order they appear in the path (the order of the positional arguments). */
  pathParams: Param[];
  queryParams: Param[];
  body: { schema: JsonSchema; required: boolean } | null;
  /** The success response is a Server-Sent Events stream. */
  stream: boolean;
  /** Schema of the first 2xx JSON response, when declared. */
  responseSchema: JsonSchema | undefined;
}

export function loadDocument(file = OPENAPI_FILE): OpenApiDocument {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as OpenApiDocument;
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const raw = item[method];
      if (!raw?.operationId) continue;
      ops.push(toOperation(p, method, raw));
    }
  }
  return ops.sort((a, b) => a.id.localeCompare(b.id));
}

function toOperation(p: string, method: HttpMethod, raw: RawOperation): Operation {
  const dot = raw.operationId.indexOf('.');
  const group = dot > 0 ? raw.operationId.slice(0, dot) : raw.operationId;
  const action = dot > 0 ? raw.operationId.slice(dot + 1) : method;
  const declared = raw.parameters ?? [];
  const param = (r: RawParameter): Param => ({
    name: r.name,
    required: r.in === 'path' || r.required === true,
    description: r.description ?? r.schema?.description,
    schema: r.schema ?? { type: 'string' },
  });
  const pathNames = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const pathParams = pathNames.map((name) =>
    param(declared.find((d) => d.in === 'path' && d.name === name) ?? { name, in: 'path' }),
  );
  const queryParams = declared.filter((d) => d.in === 'query').map(param);
  const bodySchema = raw.requestBody?.content?.['application/json']?.schema;
  const success = Object.entries(raw.responses ?? {}).filter(([s]) => /^2\d\d$/.test(s));
  const stream = success.some(([, r]) => r.content?.['text/event-stream'] !== undefined);
  const responseSchema = success.map(([, r]) => r.content?.['application/json']?.schema).find(Boolean);
  return {
    id: raw.operationId,
    group,
    action,
    method,
    path: p,
    summary: raw.summary ?? raw.operationId,
    description: raw.description,
    pathParams,
    queryParams,
    body: bodySchema ? { schema: bodySchema, required: raw.requestBody?.required === true } : null,
    stream,
    responseSchema,
  };
}
