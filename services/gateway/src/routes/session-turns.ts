import { z } from 'zod';
import { AppError, ErrorCode, approvalPolicySchema, sandboxModeSchema } from '@codex-manager/core';
import { originOf } from '../http/origin';
import { route, type RouteSpec } from '../http/route';
import { requireIdle, requireSession } from '../sessions/store';
import { absolutePath, idParams, metaOf, runtimeFor, type RouteDeps } from './common';

const text = z.string().trim().min(1, 'text must not be empty').max(100_000);
const userInput = (t: string) => [{ type: 'text', text: t, text_elements: [] }];

const sendMessage = z
  .object({
    text,
    model: z.string().trim().min(1).max(200).optional(),
    approvalPolicy: approvalPolicySchema.optional(),
    sandbox: sandboxModeSchema.optional(),
    networkAccess: z.boolean().optional(),
    effort: z.string().trim().min(1).max(40).optional().describe('reasoning effort, e.g. low, medium, high'),
    summary: z.enum(['auto', 'concise', 'detailed', 'none']).optional(),
    collaborationMode: z.enum(['default', 'plan']).optional(),
    cwd: absolutePath.optional(),
  })
  .strict();

const reviewTarget = z.discriminatedUnion('type', [
  z.object({ type: z.literal('uncommittedChanges') }).strict(),
  z.object({ type: z.literal('baseBranch'), branch: z.string().min(1).max(400) }).strict(),
  z
    .object({
      type: z.literal('commit'),
      sha: z.string().regex(/^[0-9a-fA-F]{4,64}$/),
      title: z.string().max(400).nullable().default(null),
    })
    .strict(),
  z.object({ type: z.literal('custom'), instructions: z.string().trim().min(1).max(100_000) }).strict(),
]);

const turnRef = z.object({ id: z.string(), status: z.string() });
const controlsOut = z.object({
  values: z.record(z.string(), z.unknown()),
  sources: z.record(z.string(), z.string()).describe('turn | session | default | runtime per field'),
});

function requireActive(s: { id: string; active_turn_id: string | null }, what: string): string {
  if (!s.active_turn_id) {
    throw new AppError(ErrorCode.conflict, `cannot ${what}: session ${s.id} has no turn in progress`, {
      details: { id: s.id },
    });
  }
  return s.active_turn_id;
}

/** Routes that start, steer or end turns, and that rewrite a session's history. */
export function sessionTurnRoutes(deps: RouteDeps): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/sessions/:id/messages',
      operationId: 'sessions.sendMessage',
      summary: 'Send a message: starts a turn whose reply streams on /api/stream',
      description:
        'Every turn runs with the effective controls (per-turn override, session, default, runtime). ' +
        'Overrides here apply to this turn only. 409 while a turn is in progress (steer it instead).',
      params: idParams,
      body: sendMessage,
      responses: {
        202: {
          description: 'The turn started',
          schema: z.object({ sessionId: z.string(), turn: turnRef, controls: controlsOut }),
        },
      },
      async handler({ params, body, req }) {
        const s = await requireSession(deps.pool, params.id, { mutating: true });
        requireIdle(s, 'send a message');
        const { text: t, model, approvalPolicy, sandbox, networkAccess, ...rest } = body;
        const result = await runtimeFor(deps, req)<{
          turn: { id: string; status: string };
          controls: z.infer<typeof controlsOut>;
        }>(
          'turn/start',
          {
            threadId: s.id,
            input: userInput(t),
            controls: { model, approvalPolicy, sandbox, networkAccess },
            ...rest,
          },
          { threadId: s.id },
        );
        return {
          status: 202,
          body: {
            sessionId: s.id,
            turn: { id: result.turn.id, status: result.turn.status },
            controls: result.controls,
          },
        };
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/steer',
      operationId: 'sessions.steer',
      summary: 'Add input to the turn in progress',
      params: idParams,
      body: z.object({ text, expectedTurnId: z.string().min(1).max(200).optional() }).strict(),
      responses: {
        202: { description: 'Steered', schema: z.object({ sessionId: z.string(), turnId: z.string() }) },
      },
      async handler({ params, body, req }) {
        const s = await requireSession(deps.pool, params.id, { mutating: true });
        const active = requireActive(s, 'steer');
        if (body.expectedTurnId && body.expectedTurnId !== active) {
          throw new AppError(ErrorCode.conflict, `turn ${body.expectedTurnId} is not the active turn`, {
            details: { activeTurnId: active },
          });
        }
        const r = await runtimeFor(deps, req)<{ turnId: string }>(
          'turn/steer',
          { threadId: s.id, input: userInput(body.text), expectedTurnId: active },
          { threadId: s.id },
        );
        return { status: 202, body: { sessionId: s.id, turnId: r.turnId } };
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/interrupt',
      operationId: 'sessions.interrupt',
      summary: 'Interrupt the turn in progress; answers once the runtime has ended it',
      params: idParams,
      body: z.object({ turnId: z.string().min(1).max(200).optional() }).strict(),
      responses: {
        200: {
          description:
            'The turn ended (`interrupted`), or `interrupting` if the runtime took longer than 5 s',
          schema: z.object({ sessionId: z.string(), turn: turnRef }),
        },
      },
      async handler({ params, body, req }) {
        const s = await requireSession(deps.pool, params.id, { mutating: true });
        const active = requireActive(s, 'interrupt');
        if (body.turnId && body.turnId !== active) {
          throw new AppError(ErrorCode.conflict, `turn ${body.turnId} is not the active turn`, {
            details: { activeTurnId: active },
          });
        }
        const r = await runtimeFor(deps, req)<{ turnId: string; status: string }>(
          'turn/interrupt',
          { threadId: s.id, turnId: active },
          { threadId: s.id },
        );
        return { body: { sessionId: s.id, turn: { id: r.turnId, status: r.status } } };
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/review',
      operationId: 'sessions.review',
      summary: 'Start a review turn (uncommitted changes, a base branch, a commit, or custom instructions)',
      params: idParams,
      body: z.object({ target: reviewTarget }).strict(),
      responses: {
        202: {
          description: 'The review turn started',
          schema: z.object({ sessionId: z.string(), turn: turnRef }),
        },
      },
      async handler({ params, body, req }) {
        const s = await requireSession(deps.pool, params.id, { mutating: true });
        requireIdle(s, 'start a review');
        const r = await runtimeFor(deps, req)<{ turn: { id: string; status: string } }>(
          'review/start',
          { threadId: s.id, target: body.target, delivery: 'inline' },
          { threadId: s.id },
        );
        return { status: 202, body: { sessionId: s.id, turn: { id: r.turn.id, status: r.turn.status } } };
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/compact',
      operationId: 'sessions.compact',
      summary: "Compact the thread's context; the compaction runs as a turn that streams like any other",
      params: idParams,
      responses: {
        202: {
          description: 'Started',
          schema: z.object({ sessionId: z.string(), started: z.literal(true) }),
        },
      },
      async handler({ params, req }) {
        const s = await requireSession(deps.pool, params.id, { mutating: true });
        requireIdle(s, 'compact');
        await runtimeFor(deps, req)('thread/compact/start', { threadId: s.id }, { threadId: s.id });
        return { status: 202, body: { sessionId: s.id, started: true } };
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/rollback',
      operationId: 'sessions.rollback',
      summary: 'Drop the newest N turns from the thread history (files on disk are not reverted)',
      params: idParams,
      body: z.object({ turns: z.number().int().min(1).max(10_000) }).strict(),
      responses: {
        200: {
          description: 'Rolled back',
          schema: z.object({ sessionId: z.string(), removedTurnIds: z.array(z.string()) }),
        },
      },
      async handler({ params, body, req }) {
        const s = await requireSession(deps.pool, params.id, { mutating: true });
        requireIdle(s, 'roll back');
        const r = await runtimeFor(deps, req)<{ removedTurnIds: string[] }>(
          'session/rollback',
          { threadId: s.id, turns: body.turns, meta: metaOf(originOf(req)) },
          { threadId: s.id },
        );
        return { body: { sessionId: s.id, removedTurnIds: r.removedTurnIds } };
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/background-terminals/clean',
      operationId: 'sessions.cleanBackgroundTerminals',
      summary: 'Stop the background terminals the thread left running',
      params: idParams,
      responses: {
        200: {
          description: 'Cleaned',
          schema: z.object({ sessionId: z.string(), cleaned: z.literal(true) }),
        },
      },
      async handler({ params, req }) {
        const s = await requireSession(deps.pool, params.id, { mutating: true });
        if (s.archived) throw new AppError(ErrorCode.conflict, `session ${s.id} is archived`);
        await runtimeFor(deps, req)(
          'thread/backgroundTerminals/clean',
          { threadId: s.id },
          { threadId: s.id },
        );
        return { body: { sessionId: s.id, cleaned: true } };
      },
    }),
  ];
}
