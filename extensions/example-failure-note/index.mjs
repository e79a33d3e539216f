// Example extension: when a turn fails, add a transcript row that says why and what to try next.
//
// - The default export receives `ext` and registers handlers with `ext.on(eventType, handler)`;
//   every event type used here is listed under "events" in extension.json.
// - A handler gets the event (the stream envelope: seq, type, threadId, turnId, data) and a context
//   with `actions` (the typed action API, acting as `extension:example-failure-note`), `log` and
//   `signal` (aborted when the handler's time is up).
// - Delivery is at least once: the row id is derived from the turn id, so handling the same event
//   twice rewrites the same row instead of adding a second one.

/** What to suggest for the runtime's error kinds (`codexErrorInfo`). */
const ADVICE = {
  internalServerError: 'The model provider had a temporary problem: send the request again.',
  unauthorized: 'Codex is not signed in: check /api/health (auth) and sign in.',
  usageLimitExceeded: 'The usage limit is reached: wait for it to reset or switch accounts.',
  contextWindowExceeded: 'The conversation is too long: compact it or start a new session.',
};

export function noteFor(turn) {
  const message = turn.error?.message ?? 'no error message';
  const advice = ADVICE[turn.error?.codexErrorInfo] ?? 'Look at the error above, then retry or rephrase.';
  return `This turn failed: ${message}\n${advice}`;
}

export default function register(ext) {
  ext.on('runtime.turn.completed', async (event, ctx) => {
    const turn = event.data.params?.turn;
    if (!event.threadId || turn?.status !== 'failed') return;
    await ctx.actions.upsertTranscriptRow({
      sessionId: event.threadId,
      rowId: `failure-note:${turn.id}`,
      kind: 'note',
      text: noteFor(turn),
      data: { turnId: turn.id, error: turn.error ?? null },
    });
  });
}
