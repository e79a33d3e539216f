// Two duties:
// 1. File changes: collects a turn's `fileChange` items and its latest unified diff, and when the
//    turn ends writes one `fileChanges` transcript row (stable id `file-changes:<turn id>`, so a
//    redelivered event rewrites the same row).
// 2. Approvals: when a session's setting `supervisor.autoApprove` says so, decides the approval
//    requests of that session: `{"commands": "accept"|"decline", "fileChanges": "accept"|"decline"}`
//    (a missing key leaves that kind to the user). The first decision wins: a user who answered
//    first makes ours `already_resolved`, which is fine.

/** Per running turn: changed files and the latest diff. Bounded. */
const turns = new Map();

function stateOf(turnId) {
  let s = turns.get(turnId);
  if (!s) {
    if (turns.size >= 500) turns.delete(turns.keys().next().value);
    s = { files: new Map(), diff: null };
    turns.set(turnId, s);
  }
  return s;
}

/** Lines added and removed in a unified diff (headers excluded). */
export function diffStats(diff) {
  let additions = 0;
  let deletions = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++') || line.startsWith('---')) continue;
    if (line.startsWith('+')) additions++;
    else if (line.startsWith('-')) deletions++;
  }
  return { additions, deletions };
}

export function summarize(files, diff) {
  const list = [...files.entries()].map(([path, kind]) => ({ path, kind }));
  const stats = diff ? diffStats(diff) : null;
  const names = list.map((f) => `${f.path} (${f.kind})`).join(', ');
  const text =
    `Changed ${list.length} file${list.length === 1 ? '' : 's'}: ${names}` +
    (stats ? ` — +${stats.additions} −${stats.deletions}` : '');
  return { text, files: list, ...(stats ?? {}) };
}

const APPROVAL_KINDS = {
  'item/commandExecution/requestApproval': 'commands',
  'item/fileChange/requestApproval': 'fileChanges',
};

export default function register(ext) {
  ext.on('runtime.item.completed', (event) => {
    const item = event.data.params?.item;
    if (item?.type !== 'fileChange' || !event.turnId || item.status === 'declined') return;
    const s = stateOf(event.turnId);
    for (const c of Array.isArray(item.changes) ? item.changes : []) {
      if (typeof c?.path === 'string') s.files.set(c.path, c.kind?.type ?? 'update');
    }
  });

  ext.on('runtime.turn.diff.updated', (event) => {
    const diff = event.data.params?.diff;
    if (event.turnId && typeof diff === 'string') stateOf(event.turnId).diff = diff;
  });

  ext.on('runtime.turn.completed', async (event, ctx) => {
    const s = event.turnId && turns.get(event.turnId);
    if (!s || !event.threadId) return;
    turns.delete(event.turnId);
    if (s.files.size === 0) return;
    const summary = summarize(s.files, s.diff);
    await ctx.actions.upsertTranscriptRow({
      sessionId: event.threadId,
      rowId: `file-changes:${event.turnId}`,
      kind: 'fileChanges',
      text: summary.text,
      data: {
        turnId: event.turnId,
        files: summary.files,
        additions: summary.additions,
        deletions: summary.deletions,
      },
    });
  });

  // Durable approval requests (`request.created`, with the request's own id and runtime method).
  ext.on('request.created', async (event, ctx) => {
    const kind = APPROVAL_KINDS[event.data.method];
    const requestId = event.data.id ?? event.data.requestId;
    if (!kind || !event.threadId || requestId === undefined) return;
    const policy = await ctx.actions.readSetting({
      scope: `session:${event.threadId}`,
      key: 'supervisor.autoApprove',
    });
    const decision = policy?.[kind];
    if (decision !== 'accept' && decision !== 'decline') return;
    const r = await ctx.actions.decideApproval({ requestId: String(requestId), decision });
    ctx.log.info({ requestId, decision, outcome: r.outcome }, 'supervisor decided an approval');
  });
}
