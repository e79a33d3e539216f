// Names an untitled session after its first completed turn, from the first line of the user's
// request. Off for a session whose setting `autoTitle.enabled` is false. The rename is a
// compare-and-set on "still untitled", so a user who named the session first always wins
// (the action then reports `conflict`, which is not an error). Once a rename has an outcome the
// session is left alone; after a restart a session may be asked once more (it then conflicts).

const MAX = 60;
const BOUND = 1000;
/** First user request seen per session, until its turn completes. Bounded. */
const firstRequest = new Map();
/**
 * Sessions whose rename was settled (named, already named by someone, or not eligible): later
 * turns do not ask again. A rename that failed (an error) is tried after the next turn. Bounded.
 */
const settled = new Set();

const remember = (set, key) => {
  if (set.size >= BOUND) set.delete(set.values().next().value);
  set.add(key);
};

export function titleFrom(text) {
  const line = (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().replace(/\s+/g, ' ');
  if (line.length <= MAX) return line;
  const cut = line.slice(0, MAX);
  const space = cut.lastIndexOf(' ');
  return `${(space > 20 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

const userText = (item) =>
  (Array.isArray(item?.content) ? item.content : [])
    .map((c) => (typeof c?.text === 'string' ? c.text : ''))
    .join('\n');

export default function register(ext) {
  ext.on('runtime.item.completed', (event) => {
    const item = event.data.params?.item;
    const sessionId = event.threadId;
    if (item?.type !== 'userMessage' || !sessionId || firstRequest.has(sessionId) || settled.has(sessionId))
      return;
    const text = userText(item);
    if (!text.trim()) return;
    if (firstRequest.size >= BOUND) firstRequest.delete(firstRequest.keys().next().value);
    firstRequest.set(sessionId, text);
  });

  ext.on('runtime.turn.completed', async (event, ctx) => {
    const sessionId = event.threadId;
    const text = sessionId && firstRequest.get(sessionId);
    if (!text) return;
    if (event.data.params?.turn?.status !== 'completed') return;
    firstRequest.delete(sessionId);
    const enabled = await ctx.actions.readSetting({
      scope: `session:${sessionId}`,
      key: 'autoTitle.enabled',
    });
    if (enabled === false) return;
    const title = titleFrom(text);
    if (!title) return;
    const r = await ctx.actions.renameSession({ sessionId, title, ifTitle: null });
    remember(settled, sessionId);
    ctx.log.info({ sessionId, outcome: r.outcome }, 'auto-title');
  });
}
