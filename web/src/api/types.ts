/**
 * The API shapes the dashboard reads (docs/api.md). Fields that not every gateway version returns
 * are optional, so the app degrades instead of breaking.
 */

export type ApprovalPolicy = 'untrusted' | 'on-failure' | 'on-request' | 'never';
export type SandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access';
export type TurnStatus = 'inProgress' | 'completed' | 'failed' | 'interrupted';

export interface TokenBreakdown {
  totalTokens: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
}

export interface TokenUsage {
  total: TokenBreakdown;
  last?: TokenBreakdown;
  modelContextWindow?: number | null;
}

export interface Session {
  id: string;
  title: string | null;
  preview?: string | null;
  cwd: string | null;
  model: string | null;
  modelProvider?: string | null;
  /** `idle|active|notLoaded|systemError` */
  status: string;
  activeTurnId?: string | null;
  archived?: boolean;
  archivedAt?: string | null;
  projectId?: string | null;
  systemOwned?: boolean;
  tokenUsage?: TokenUsage | null;
  createdAt: string;
  updatedAt: string;
}

export interface Turn {
  id: string;
  kind?: string;
  status: TurnStatus | string;
  error: { message?: string } | null | unknown;
  usage?: unknown;
  durationMs?: number | null;
  startedAt: string;
  completedAt: string | null;
}

/** A runtime thread item (`item` of `item/started|completed`), kept loose: the runtime adds kinds. */
export interface RuntimeItem {
  id: string;
  type: string;
  [key: string]: unknown;
}

export interface TranscriptEntry {
  turnId: string | null;
  source: 'runtime' | 'supplemental';
  item: RuntimeItem;
}

export interface SessionDetail {
  session: Session;
  turns: Turn[];
  transcript?: { complete: boolean; error?: unknown; entries: TranscriptEntry[] };
}

export interface SessionList {
  sessions: Session[];
  nextCursor?: string | null;
}

export interface Project {
  id: string;
  name: string;
  sessionCount?: number;
  createdAt: string;
  updatedAt: string;
}

export type RequestKind = 'commandApproval' | 'fileChangeApproval' | 'userInput' | 'toolCall';

export interface Question {
  id: string;
  header?: string;
  question: string;
  isOther?: boolean;
  isSecret?: boolean;
  options?: { label: string; description?: string }[] | null;
}

export interface InteractiveRequest {
  id: string;
  kind: RequestKind;
  method: string;
  sessionId: string;
  turnId: string | null;
  itemId: string | null;
  status: 'pending' | 'resolved' | 'expired';
  params: Record<string, unknown>;
  decisions: string[] | null;
  decision: string | null;
  response?: unknown;
  resolvedBy: { actor: string; source: string } | null;
  resolvedAt: string | null;
  expiredReason?: string | null;
  createdAt: string;
}

export interface Controls {
  model: string | null;
  approvalPolicy: ApprovalPolicy | null;
  sandbox: SandboxMode | null;
  networkAccess: boolean | null;
}

export interface SessionControls {
  sessionId: string;
  session: Partial<Controls>;
  default: Partial<Controls>;
  runtime?: Partial<Controls>;
  effective: { values: Partial<Controls>; sources: Partial<Record<keyof Controls, string>> };
  locked: boolean;
}

export interface Model {
  id: string;
  model?: string;
  displayName?: string;
  isDefault?: boolean;
}

export interface Job {
  id: string;
  type: string;
  status: string;
  sessionId: string | null;
  projectId?: string | null;
  requestedBy?: string | null;
  attempts: number;
  maxAttempts: number;
  error?: unknown;
  output?: unknown;
  createdAt: string;
  updatedAt: string;
  startedAt?: string | null;
  completedAt?: string | null;
}

export interface Extension {
  name: string;
  version: string;
  origin?: string;
  compatible?: boolean;
  state?: string;
  trust?: string;
  priority?: number;
  events?: string[];
  capabilities?: string[];
  handlerStats?: unknown;
  lastErrors?: unknown[];
  loadError?: unknown;
  loadedAt?: string | null;
}

export interface ServiceHealth {
  up: boolean;
  instances?: { instanceId: string; pid: number; lastHeartbeatAt: string; ageMs: number; up: boolean }[];
}

export interface Health {
  status: string;
  database: { ok: boolean; latencyMs?: number; error?: string };
  runtime: {
    state: string;
    version?: string | null;
    pid?: number | null;
    restarts?: number;
    lastExit?: unknown;
  };
  auth: Record<string, boolean | null | undefined>;
  services: Record<string, ServiceHealth>;
  eventLog: { head: number };
  queue?: Record<string, unknown>;
  extensionHost?: Record<string, unknown>;
}

/** The stream envelope (identical on socket.io and SSE). */
export interface StreamEvent {
  seq: number;
  ts: string;
  type: string;
  threadId?: string;
  turnId?: string;
  itemId?: string;
  source: string;
  data: Record<string, unknown>;
  traceId?: string;
}

export type InboxKind = 'approval' | 'question' | 'toolCall' | 'failedTurn' | 'longTurn' | 'failedJob';
export type InboxAction = 'decide' | 'answer' | 'respond' | 'retry' | 'dismiss';

export interface InboxChange {
  path: string;
  kind: string | { type: string; [key: string]: unknown };
  diff: string;
}

/** `detail` by kind (docs/api.md "Inbox"); loose, so a newer gateway's extra fields do not break it. */
export interface InboxDetail {
  requestKind?: 'commandApproval' | 'fileChangeApproval';
  command?: string;
  cwd?: string;
  reason?: string | null;
  changes?: InboxChange[];
  decisions?: string[];
  questions?: Question[];
  tool?: string;
  arguments?: unknown;
  error?: unknown;
  durationMs?: number;
  jobType?: string;
  attempts?: number;
  [key: string]: unknown;
}

/** One thing that needs a person (`GET /api/inbox`). */
export interface InboxItem {
  id: string;
  kind: InboxKind;
  seq: number;
  createdAt: string;
  sessionId: string | null;
  sessionTitle: string | null;
  projectId: string | null;
  turnId: string | null;
  title: string;
  requestId: string | null;
  jobId: string | null;
  detail: InboxDetail;
  actions: InboxAction[];
}

export interface InboxCounts {
  total: number;
  byKind: Partial<Record<InboxKind, number>>;
}

export interface InboxPage {
  items: InboxItem[];
  nextCursor: string | null;
  counts: InboxCounts;
}

export type UsageGroupBy = 'day' | 'session' | 'project' | 'turn';

export interface UsageNumbers {
  turns: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
  totalTokens: number;
  cost: number | null;
}

export interface UsageRow extends UsageNumbers {
  key: string;
  label: string | null;
}

export interface RateLimitWindow {
  usedPercent: number;
  windowDurationMins?: number | null;
  resetsAt?: number | null;
}

export interface UsageReport {
  groupBy: UsageGroupBy;
  rows: UsageRow[];
  totals: UsageNumbers;
  currency: string;
  prices?: Record<string, { input: number; cachedInput: number; output: number }>;
  /** The newest `account/rateLimits/updated` snapshot (plus `observedAt`), or null. */
  rateLimits: Record<string, unknown> | null;
}
