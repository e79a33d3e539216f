import { z } from 'zod';

/**
 * The typed action API's vocabulary. Extensions call the functions of `Actions` directly; a worker
 * turn's reply may carry the same actions as structured `action_intents`, validated here.
 */
export const ACTION_NAMES = [
  'decideApproval',
  'steer',
  'upsertTranscriptRow',
  'renameSession',
  'writeSetting',
  'enqueue',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number] | 'readSetting';

/** The capability an extension must declare in `extension.json` to call each action. */
export const ACTION_CAPABILITIES: Record<ActionName, string> = {
  decideApproval: 'approvals.decide',
  steer: 'turns.steer',
  upsertTranscriptRow: 'transcript.write',
  renameSession: 'sessions.rename',
  writeSetting: 'settings.write',
  readSetting: 'settings.read',
  enqueue: 'jobs.enqueue',
};
export const KNOWN_CAPABILITIES = [...new Set(Object.values(ACTION_CAPABILITIES))];

/**
 * Results that are not errors: a late or redundant action in a race between a user and an agent.
 * `not_supported`: this build has no backend for the action yet.
 */
export type ActionOutcome = 'ok' | 'already_resolved' | 'not_eligible' | 'conflict' | 'not_supported';

export interface ActionResult {
  action: ActionName;
  outcome: ActionOutcome;
  /** Why, for anything but `ok`. */
  detail?: string;
  data?: Record<string, unknown>;
}

const sessionId = z.string().min(1).max(200);
export const settingScope = z.string().regex(/^(default|session:[^\s]+|project:[^\s]+)$/, {
  message: 'scope must be default, session:<id> or project:<id>',
});

export const renameSessionParams = z
  .object({
    sessionId,
    title: z.string().trim().min(1).max(200),
    /** Rename only while the title is still this (`null`: only an untitled session). */
    ifTitle: z.string().nullable().optional(),
  })
  .strict();
export const steerParams = z
  .object({
    sessionId,
    text: z.string().trim().min(1).max(20_000),
    expectedTurnId: z.string().min(1).optional(),
  })
  .strict();
export const upsertTranscriptRowParams = z
  .object({
    sessionId,
    /** Stable id: a second upsert with the same id replaces the row. */
    rowId: z.string().min(1).max(200),
    kind: z.string().regex(/^[a-z][a-zA-Z0-9_.-]{0,62}$/),
    text: z.string().max(20_000),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export const writeSettingParams = z
  .object({ scope: settingScope, key: z.string().min(1).max(200), value: z.unknown() })
  .strict();
export const readSettingParams = z.object({ scope: settingScope, key: z.string().min(1).max(200) }).strict();
export const decideApprovalParams = z
  .object({
    requestId: z.string().min(1),
    decision: z.enum(['accept', 'acceptForSession', 'decline', 'cancel']),
    reason: z.string().max(2000).optional(),
  })
  .strict();
export const enqueueParams = z
  .object({
    type: z.string().min(1),
    payload: z.record(z.string(), z.unknown()),
    dedupeKey: z.string().min(1).max(300).optional(),
    priority: z.number().int().min(-100).max(100).optional(),
    sessionId: sessionId.optional(),
  })
  .strict();

export const actionIntent = z.discriminatedUnion('action', [
  z.object({ action: z.literal('decideApproval'), params: decideApprovalParams }).strict(),
  z.object({ action: z.literal('steer'), params: steerParams }).strict(),
  z.object({ action: z.literal('upsertTranscriptRow'), params: upsertTranscriptRowParams }).strict(),
  z.object({ action: z.literal('renameSession'), params: renameSessionParams }).strict(),
  z.object({ action: z.literal('writeSetting'), params: writeSettingParams }).strict(),
  z.object({ action: z.literal('enqueue'), params: enqueueParams }).strict(),
]);
export type ActionIntent = z.infer<typeof actionIntent>;
export const actionIntents = z.object({ actions: z.array(actionIntent).min(1).max(20) }).strict();
