import { RESPOND_COMMAND, invalidRequest } from '@codex-manager/core';
import type { CommandHandler } from '../commands';
import type { RequestLedger } from './ledger';

/**
 * Command handlers of the request ledger. `serverRequest/respond {requestId}` writes the recorded
 * answer to the runtime unless it was written already; its result says which happened.
 */
export function requestCommandHandlers(ledger: RequestLedger): Record<string, CommandHandler> {
  return {
    [RESPOND_COMMAND]: async (ctx) => {
      const requestId = ctx.row.params.requestId;
      if (typeof requestId !== 'string') throw invalidRequest(`${RESPOND_COMMAND} needs a requestId`);
      const { delivered, request } = await ledger.deliver(ctx.client, requestId);
      return { result: { delivered, answeredAt: request.answered_at?.toISOString() ?? null } };
    },
  };
}
