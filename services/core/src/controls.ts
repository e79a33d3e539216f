import { z } from 'zod';
import type { Queryable } from './db/pool';

/**
 * The controls tuple of a turn: model, approval policy, sandbox and network access. Each field
 * resolves on its own, first match wins: per-turn override, session scope, default scope, then what
 * the runtime chose when the thread was created. Every turn is started with the resolved values, so
 * a per-turn override never leaks into the next turn (the runtime would otherwise keep it).
 */
export const approvalPolicySchema = z.enum(['untrusted', 'on-request', 'never']);
export const sandboxModeSchema = z.enum(['read-only', 'workspace-write', 'danger-full-access']);
export type ApprovalPolicy = z.infer<typeof approvalPolicySchema>;
export type SandboxMode = z.infer<typeof sandboxModeSchema>;

export const controlsSchema = z
  .object({
    model: z.string().trim().min(1).max(200),
    approvalPolicy: approvalPolicySchema,
    sandbox: sandboxModeSchema,
    networkAccess: z.boolean(),
  })
  .partial()
  .strict();
export type Controls = z.infer<typeof controlsSchema>;
export const CONTROL_KEYS = ['model', 'approvalPolicy', 'sandbox', 'networkAccess'] as const;
export type ControlKey = (typeof CONTROL_KEYS)[number];

export type ControlSource = 'turn' | 'session' | 'default' | 'runtime';
export interface ControlLayers {
  turn?: Controls;
  session?: Controls;
  default?: Controls;
  runtime?: Controls;
}
export interface EffectiveControls {
  values: Controls;
  /** Which layer each resolved field came from. */
  sources: Partial<Record<ControlKey, ControlSource>>;
}

const ORDER: ControlSource[] = ['turn', 'session', 'default', 'runtime'];

export function resolveControls(layers: ControlLayers): EffectiveControls {
  const values: Record<string, unknown> = {};
  const sources: Partial<Record<ControlKey, ControlSource>> = {};
  for (const key of CONTROL_KEYS) {
    for (const layer of ORDER) {
      const v = layers[layer]?.[key];
      if (v === undefined || v === null) continue;
      values[key] = v;
      sources[key] = layer;
      break;
    }
  }
  return { values: values as Controls, sources };
}

/** The runtime's `SandboxPolicy` (turn/start `sandboxPolicy`, thread/start result `sandbox`). */
export type SandboxPolicy =
  | { type: 'dangerFullAccess' }
  | { type: 'readOnly'; networkAccess: boolean }
  | {
      type: 'workspaceWrite';
      writableRoots: string[];
      networkAccess: boolean;
      excludeTmpdirEnvVar: boolean;
      excludeSlashTmp: boolean;
    }
  | { type: 'externalSandbox'; networkAccess: unknown };

const MODE_OF: Record<string, SandboxMode> = {
  dangerFullAccess: 'danger-full-access',
  readOnly: 'read-only',
  workspaceWrite: 'workspace-write',
};

/**
 * A policy for `mode` with `networkAccess`. The thread's own policy is reused when it is of the same
 * mode, so writable roots chosen at creation survive a change of network access.
 */
export function sandboxPolicyFor(
  mode: SandboxMode,
  networkAccess: boolean,
  base?: SandboxPolicy | null,
): SandboxPolicy {
  if (mode === 'danger-full-access') return { type: 'dangerFullAccess' };
  if (mode === 'read-only') return { type: 'readOnly', networkAccess };
  if (base?.type === 'workspaceWrite') return { ...base, networkAccess };
  return {
    type: 'workspaceWrite',
    writableRoots: [],
    networkAccess,
    excludeTmpdirEnvVar: false,
    excludeSlashTmp: false,
  };
}

/** What the runtime resolved for a thread, as controls (the last fallback layer). */
export function runtimeControls(base: {
  model: string | null;
  approvalPolicy: unknown;
  sandboxPolicy: SandboxPolicy | null;
}): Controls {
  const c: Controls = {};
  if (base.model) c.model = base.model;
  const ap = approvalPolicySchema.safeParse(base.approvalPolicy);
  if (ap.success) c.approvalPolicy = ap.data;
  const mode = base.sandboxPolicy ? MODE_OF[base.sandboxPolicy.type] : undefined;
  if (mode) c.sandbox = mode;
  const net = (base.sandboxPolicy as { networkAccess?: unknown } | null)?.networkAccess;
  if (mode === 'danger-full-access') c.networkAccess = true;
  else if (typeof net === 'boolean') c.networkAccess = net;
  return c;
}

export interface SessionControls {
  session: Controls;
  default: Controls;
  runtime: Controls;
  /** The thread's sandbox policy as the runtime reported it at creation. */
  sandboxPolicy: SandboxPolicy | null;
}

/**
 * Reads every stored layer of a session (or only the default scope when `sessionId` is null), in
 * one round trip: it runs before every turn.
 */
export async function loadControls(db: Queryable, sessionId: string | null): Promise<SessionControls> {
  const { rows } = await db.query<{
    default_controls: Controls | null;
    session_controls: Controls | null;
    found: boolean;
    model: string | null;
    approval_policy: unknown;
    sandbox_policy: unknown;
  }>({
    name: 'cm_load_controls',
    text: `SELECT (SELECT controls FROM controls WHERE scope = 'default' AND session_id = '') AS default_controls,
                  (SELECT controls FROM controls WHERE scope = 'session' AND session_id = $1) AS session_controls,
                  s.id IS NOT NULL AS found, s.model, s.approval_policy, s.sandbox_policy
           FROM (SELECT 1) one LEFT JOIN sessions s ON s.id = $1`,
    values: [sessionId ?? ''],
  });
  const row = rows[0];
  const out: SessionControls = {
    session: (sessionId && row?.session_controls) || {},
    default: row?.default_controls ?? {},
    runtime: {},
    sandboxPolicy: null,
  };
  if (sessionId && row?.found) {
    out.sandboxPolicy = (row.sandbox_policy as SandboxPolicy | null) ?? null;
    out.runtime = runtimeControls({
      model: row.model,
      approvalPolicy: row.approval_policy,
      sandboxPolicy: out.sandboxPolicy,
    });
  }
  return out;
}
