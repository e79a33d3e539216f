// After a completed turn, queues a `suggest-request` job: the session's `suggest` worker reads the
// last exchange and proposes the user's next request, which arrives as a `suggestion` transcript
// row. Each suggestion costs a model turn, so it is opt-in: the setting `suggestions.auto` must be
// true for the session (or in the default scope). The dedupe key keeps one suggestion per session
// in flight; a repeat is `already_resolved`.

export async function autoSuggestions(actions, sessionId) {
  const own = await actions.readSetting({ scope: `session:${sessionId}`, key: 'suggestions.auto' });
  if (own !== undefined) return own === true;
  return (await actions.readSetting({ scope: 'default', key: 'suggestions.auto' })) === true;
}

export default function register(ext) {
  ext.on('runtime.turn.completed', async (event, ctx) => {
    const turn = event.data.params?.turn;
    if (!event.threadId || turn?.status !== 'completed') return;
    if (!(await autoSuggestions(ctx.actions, event.threadId))) return;
    await ctx.actions.enqueue({
      type: 'suggest-request',
      payload: { sessionId: event.threadId, turnId: turn.id },
      dedupeKey: `suggest-request:${event.threadId}`,
      sessionId: event.threadId,
    });
  });
}
