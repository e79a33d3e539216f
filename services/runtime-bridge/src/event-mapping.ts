import { runtimeEventType, type NewEvent } from '@codex-manager/core';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const idOf = (v: unknown): string | undefined => str((v as { id?: unknown } | undefined)?.id);

/** Where a notification belongs: the ids live at different places depending on the method. */
export function locate(params: Record<string, unknown>): Pick<NewEvent, 'threadId' | 'turnId' | 'itemId'> {
  const out: Pick<NewEvent, 'threadId' | 'turnId' | 'itemId'> = {};
  const threadId = str(params.threadId) ?? idOf(params.thread);
  const turnId = str(params.turnId) ?? idOf(params.turn);
  const itemId = str(params.itemId) ?? idOf(params.item);
  if (threadId) out.threadId = threadId;
  if (turnId) out.turnId = turnId;
  if (itemId) out.itemId = itemId;
  return out;
}

/** A runtime notification as an event: type `runtime.<method with dots>`, method and params verbatim. */
export function notificationEvent(
  method: string,
  params: Record<string, unknown>,
  traceId?: string,
): NewEvent {
  const e: NewEvent = {
    type: runtimeEventType(method),
    source: 'runtime-bridge',
    data: { method, params },
    ...locate(params),
  };
  if (traceId) e.traceId = traceId;
  return e;
}
