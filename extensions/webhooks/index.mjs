// Webhook delivery: for each new inbox item, one `webhook-delivery` job per configured target that
// chose the item's kind. The job (queue-worker) looks the target's URL and secret up by name, signs
// and POSTs the payload, retries with backoff and audits every attempt; this handler only decides
// who gets what, so it stays quick and never blocks the event log.
//
// The host hands the targets' names and kinds (never URLs or secrets) as `options.targets`, from
// CM_WEBHOOKS. The dedupe key makes a redelivered event (after a crash) a no-op while the first job
// is unfinished; the delivery itself is unique per (target, event seq) in the audit table.

/** The targets that want this item. A failed webhook delivery is never itself delivered: it would
 * loop when a target that is down also chose `failedJob`. */
export function targetsFor(targets, item) {
  if (!item || typeof item.kind !== 'string') return [];
  if (item.kind === 'failedJob' && item.detail?.jobType === 'webhook-delivery') return [];
  return targets.filter((t) => Array.isArray(t.kinds) && t.kinds.includes(item.kind));
}

export default function register(ext) {
  const targets = Array.isArray(ext.options?.targets) ? ext.options.targets : [];
  ext.on('inbox.added', async (event, ctx) => {
    const item = event.data?.item;
    for (const target of targetsFor(targets, item)) {
      await ctx.actions.enqueue({
        type: 'webhook-delivery',
        payload: { target: target.name, event: 'inbox.added', seq: event.seq, item },
        dedupeKey: `webhook:${target.name}:${event.seq}`,
      });
    }
  });
}
