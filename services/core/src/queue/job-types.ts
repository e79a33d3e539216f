import { z } from 'zod';

/**
 * Job types: each has a payload schema (checked when a job is enqueued and again when it runs) and
 * its defaults. The queue-worker registers one handler per type; gateway and extension-host only
 * enqueue, so the definitions live here where every service can read them.
 */
export interface JobTypeDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  payload: S;
  /** Higher runs first among queued jobs of the same type. */
  priority: number;
  /** Attempts in all, including the first (pg-boss `retryLimit` + 1). */
  maxAttempts: number;
  /** How long one attempt may run before it is aborted and counted as a retryable failure. */
  timeoutMs: number;
  /** Delay before a retry, in seconds; doubled per attempt with jitter when `backoff`. */
  retryDelaySeconds: number;
  backoff: boolean;
}

export type JobTypeRegistry = Record<string, JobTypeDefinition>;

/** `owner::agent`: owner is a project id or `session:<id>`; agent is a short slug. */
export const workerOwner = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(session:)?[A-Za-z0-9_.@-]+$/, 'owner must be a project id or session:<session id>');
export const workerAgent = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'agent must be a lowercase slug (letters, digits, dashes)');
export const workerKey = (owner: string, agent: string): string => `${owner}::${agent}`;

export const instructionPayload = z
  .object({
    owner: workerOwner,
    agent: workerAgent,
    /** The instruction sent as the user message of one turn in the worker session. */
    instruction: z.string().trim().min(1).max(50_000),
    /** Working directory of a newly created worker session (default: the owner session's cwd). */
    cwd: z.string().startsWith('/', 'cwd must be an absolute path').optional(),
    /** Carry out `action_intents` found in the reply through the action API. */
    applyIntents: z.boolean().default(false),
  })
  .strict();

export const suggestRequestPayload = z
  .object({
    sessionId: z.string().min(1),
    /** The turn the suggestion follows (default: the session's latest completed turn). */
    turnId: z.string().min(1).optional(),
  })
  .strict();

export const webhookDeliveryPayload = z
  .object({
    /** The configured target (`CM_WEBHOOKS` name); its URL and secret are looked up when it runs. */
    target: z.string().min(1).max(63),
    event: z.literal('inbox.added'),
    /** Seq of the event that put the item in the inbox: one delivery per target and event. */
    seq: z.number().int().min(0),
    item: z
      .object({ id: z.string().min(1), kind: z.string().min(1), sessionId: z.string().nullable().optional() })
      .passthrough(),
  })
  .strict();

export const BUILTIN_JOB_TYPES: JobTypeRegistry = {
  instruction: {
    name: 'instruction',
    description:
      'Runs one instruction turn in a worker session; completes with none, assistant_text or action_intents.',
    payload: instructionPayload,
    priority: 0,
    maxAttempts: 3,
    timeoutMs: 180_000,
    retryDelaySeconds: 2,
    backoff: true,
  },
  'suggest-request': {
    name: 'suggest-request',
    description: "Suggests the user's next request after a turn, in the session's `suggest` worker session.",
    payload: suggestRequestPayload,
    priority: 5,
    maxAttempts: 2,
    timeoutMs: 120_000,
    retryDelaySeconds: 1,
    backoff: false,
  },
  'webhook-delivery': {
    name: 'webhook-delivery',
    description:
      'POSTs an inbox item, signed, to a configured webhook target; retried with backoff on network errors and non-2xx answers.',
    payload: webhookDeliveryPayload,
    priority: 10,
    maxAttempts: 5,
    timeoutMs: 30_000,
    retryDelaySeconds: 2,
    backoff: true,
  },
};

/** The pg-boss queue that receives a copy of every job that fails for good. */
export const DEAD_LETTER_QUEUE = 'dead-letter';

export const JOB_STATUSES = ['queued', 'running', 'retrying', 'completed', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const UNFINISHED: JobStatus[] = ['queued', 'running', 'retrying'];
export const isTerminal = (s: JobStatus): boolean => !UNFINISHED.includes(s);
