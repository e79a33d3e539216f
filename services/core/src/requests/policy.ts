import { z } from 'zod';
import type { RequestRow, Resolution } from './model';
import { approvalDecisionsFor, approvalResolution } from './resolutions';

const policyApproval = z.enum(['accept', 'acceptForSession', 'decline', 'cancel']);

/**
 * How the runtime-bridge answers a session's requests itself, so that a system-owned worker session
 * never waits for a human (stored in `sessions.request_policy`). Every field has a safe default: a
 * system-owned session without a policy declines approvals, picks the first option of each
 * question and fails dynamic tool calls.
 */
export const requestPolicySchema = z
  .object({
    /** Command approvals. An accept the runtime did not offer falls back to `decline`. */
    commandApproval: policyApproval.default('decline'),
    /** File-change approvals. */
    fileChangeApproval: policyApproval.default('decline'),
    /** `firstOption`: each question gets its first option (the runtime lists the recommended one first); `empty`: no answers. */
    userInput: z.enum(['firstOption', 'empty']).default('firstOption'),
    /** The answer to every dynamic tool call. */
    toolCall: z
      .object({
        success: z.boolean().default(false),
        text: z.string().default('No client answers dynamic tool calls in this session.'),
      })
      .strict()
      .default({ success: false, text: 'No client answers dynamic tool calls in this session.' }),
  })
  .strict();

export type RequestPolicy = z.output<typeof requestPolicySchema>;
export type RequestPolicyInput = z.input<typeof requestPolicySchema>;

export const DEFAULT_REQUEST_POLICY: RequestPolicy = requestPolicySchema.parse({});

/** The decision `policy` takes for `row`; `fallback` says a wanted accept was not offered. */
export function policyResolution(row: RequestRow, policy: RequestPolicy): Resolution & { fallback?: string } {
  switch (row.kind) {
    case 'commandApproval':
    case 'fileChangeApproval': {
      const wanted = row.kind === 'commandApproval' ? policy.commandApproval : policy.fileChangeApproval;
      if (approvalDecisionsFor(row).includes(wanted)) return approvalResolution(row, { decision: wanted });
      return { ...approvalResolution(row, { decision: 'decline' }), fallback: wanted };
    }
    case 'userInput': {
      const questions = Array.isArray(row.params.questions)
        ? (row.params.questions as { id: string; options?: { label: string }[] | null }[])
        : [];
      const answers = Object.fromEntries(
        questions.map((q) => {
          const first = q.options?.[0]?.label;
          return [q.id, { answers: policy.userInput === 'firstOption' && first ? [first] : [] }];
        }),
      );
      return { decision: 'answer', response: { answers } };
    }
    case 'toolCall':
      return {
        decision: 'respond',
        response: {
          contentItems: [{ type: 'inputText', text: policy.toolCall.text }],
          success: policy.toolCall.success,
        },
      };
  }
}
