import { z } from 'zod';
import {
  APPROVAL_DECISIONS,
  APPROVAL_KINDS,
  approvalResolution,
  decide,
  loadRequest,
  notFound,
  requestSql,
  toolCallResolution,
  userInputResolution,
  viewOf,
  type RequestDeps,
  type RequestKind,
  type RequestRow,
} from '@codex-manager/core';
import { originOf } from '../http/origin';
import { route, type RouteSpec } from '../http/route';

export const requestSchema = z.object({
  id: z.string(),
  kind: z.enum(['commandApproval', 'fileChangeApproval', 'userInput', 'toolCall']),
  method: z.string(),
  sessionId: z.string(),
  turnId: z.string().nullable(),
  itemId: z.string().nullable(),
  status: z.enum(['pending', 'resolved', 'expired']),
  params: z.record(z.string(), z.unknown()),
  decisions: z.array(z.string()).nullable(),
  decision: z.string().nullable(),
  response: z.unknown(),
  resolvedBy: z.object({ actor: z.string(), source: z.string() }).nullable(),
  resolvedAt: z.string().nullable(),
  answeredAt: z.string().nullable(),
  expiredAt: z.string().nullable(),
  expiredReason: z.string().nullable(),
  createdAt: z.string(),
});

const decisionResult = z.object({
  status: z.enum(['resolved', 'already_resolved']),
  request: requestSchema,
});

const approvalBody = z
  .object({
    decision: z.enum(APPROVAL_DECISIONS),
    networkPolicyAmendment: z
      .object({ host: z.string().min(1), action: z.enum(['allow', 'deny']) })
      .strict()
      .optional(),
  })
  .strict();

const toolInputBody = z
  .object({
    /** Question id → the chosen option labels or free text; a single string is one answer. */
    answers: z.record(
      z.string().min(1),
      z.union([z.string(), z.array(z.string()).min(1, 'give at least one answer')]),
    ),
  })
  .strict();

const contentItem = z.discriminatedUnion('type', [
  z.object({ type: z.literal('inputText'), text: z.string() }).strict(),
  z.object({ type: z.literal('inputImage'), imageUrl: z.string().min(1) }).strict(),
  z.object({ type: z.literal('inputAudio'), audioUrl: z.string().min(1) }).strict(),
]);

const toolCallBody = z
  .object({
    contentItems: z.array(contentItem).max(100),
    success: z.boolean().default(true),
  })
  .strict();

const idParams = z.object({ id: z.string().min(1) });
const listQuery = z
  .object({ status: z.enum(['pending', 'resolved', 'expired', 'all']).default('pending') })
  .strict();

const RESPONSES = {
  decided: {
    description: 'Decided now (`resolved`) or a repeat of the decision taken (`already_resolved`)',
    schema: decisionResult,
  },
};

interface Group {
  /** operationId group and the path segment of its routes. */
  group: 'approvals' | 'toolInput' | 'toolCalls';
  segment: string;
  noun: string;
  kinds: readonly RequestKind[];
}

const GROUPS: Group[] = [
  {
    group: 'approvals',
    segment: 'approvals',
    noun: 'command and file-change approvals',
    kinds: APPROVAL_KINDS,
  },
  { group: 'toolInput', segment: 'tool-input', noun: 'user-input questions', kinds: ['userInput'] },
  { group: 'toolCalls', segment: 'tool-calls', noun: 'dynamic tool calls', kinds: ['toolCall'] },
];

/**
 * Interactive requests (invariant 3): list them per session, read one, decide it. Decisions are
 * taken once in the database and carried to the runtime by the runtime-bridge (`../requests/decide`).
 */
export function requestRoutes(deps: RequestDeps): RouteSpec[] {
  const routes: RouteSpec[] = [];
  for (const g of GROUPS) {
    routes.push(
      route({
        method: 'get',
        path: `/sessions/:id/${g.segment}`,
        operationId: `${g.group}.list`,
        summary: `A session's ${g.noun} (pending ones unless ?status= says otherwise), oldest first`,
        params: idParams,
        query: listQuery,
        responses: {
          200: { description: 'Requests', schema: z.object({ requests: z.array(requestSchema) }) },
        },
        async handler({ params, query }) {
          const session = await deps.pool.query('SELECT 1 FROM sessions WHERE id = $1', [params.id]);
          if (session.rowCount === 0) throw notFound('session', params.id);
          const { rows } = await deps.pool.query<RequestRow>(
            requestSql.listRequests(params.id, g.kinds, query.status === 'all' ? null : query.status),
          );
          return { body: { requests: rows.map(viewOf) } };
        },
      }),
      route({
        method: 'get',
        path: `/${g.segment}/:id`,
        operationId: `${g.group}.get`,
        summary: `One of the ${g.noun}`,
        params: idParams,
        responses: { 200: { description: 'The request', schema: z.object({ request: requestSchema }) } },
        async handler({ params }) {
          return { body: { request: viewOf(await loadRequest(deps.pool, params.id, g.kinds)) } };
        },
      }),
    );
  }
  routes.push(
    route({
      method: 'post',
      path: '/approvals/:id/decision',
      operationId: 'approvals.decide',
      summary: 'Decide a command or file-change approval',
      description:
        'accept | acceptForSession | acceptWithExecpolicyAmendment | applyNetworkPolicyAmendment need the runtime to have offered them (see `decisions`); decline and cancel are always possible.',
      params: idParams,
      body: approvalBody,
      responses: { 200: RESPONSES.decided },
      async handler({ params, body, req }) {
        const out = await decide(
          deps,
          params.id,
          APPROVAL_KINDS,
          (row) => approvalResolution(row, body),
          originOf(req),
        );
        return { body: out };
      },
    }),
    route({
      method: 'post',
      path: '/tool-input/:id/decision',
      operationId: 'toolInput.decide',
      summary: 'Answer a user-input request, one entry per question id',
      params: idParams,
      body: toolInputBody,
      responses: { 200: RESPONSES.decided },
      async handler({ params, body, req }) {
        const answers = Object.fromEntries(
          Object.entries(body.answers).map(([q, a]) => [q, typeof a === 'string' ? [a] : a]),
        );
        const out = await decide(
          deps,
          params.id,
          ['userInput'],
          (row) => userInputResolution(row, answers),
          originOf(req),
        );
        return { body: out };
      },
    }),
    route({
      method: 'post',
      path: '/tool-calls/:id/response',
      operationId: 'toolCalls.respond',
      summary: 'Answer a dynamic tool call with content items (text, image or audio URLs)',
      params: idParams,
      body: toolCallBody,
      responses: { 200: RESPONSES.decided },
      async handler({ params, body, req }) {
        const out = await decide(
          deps,
          params.id,
          ['toolCall'],
          () => toolCallResolution(body),
          originOf(req),
        );
        return { body: out };
      },
    }),
  );
  return routes;
}
