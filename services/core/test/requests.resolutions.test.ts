import {
  DEFAULT_REQUEST_POLICY,
  WITHDRAWN,
  approvalDecisionsFor,
  approvalResolution,
  policyResolution,
  redactResponse,
  requestPolicySchema,
  responseHash,
  sameResolution,
  userInputResolution,
  type RequestRow,
} from '../src';

const row = (over: Partial<RequestRow>): RequestRow => ({
  id: '00000000-0000-4000-8000-000000000001',
  kind: 'commandApproval',
  method: 'item/commandExecution/requestApproval',
  session_id: 's',
  turn_id: 't',
  item_id: 'i',
  params: {},
  available_decisions: null,
  runtime_generation: 'g',
  rpc_id: 0,
  status: 'pending',
  decision: null,
  response: null,
  response_hash: null,
  resolved_actor: null,
  resolved_source: null,
  resolved_at: null,
  answered_at: null,
  expired_at: null,
  expired_reason: null,
  created_at: new Date(),
  ...over,
});

// What scn:exec under `untrusted` offers (codex-app-server-0.169.md §2).
const EXEC_OFFER = ['accept', { acceptWithExecpolicyAmendment: { execpolicy_amendment: ['ls'] } }, 'cancel'];
const NET = (host: string) => ({
  applyNetworkPolicyAmendment: { network_policy_amendment: { host, action: 'allow' } },
});
const QUESTIONS = {
  questions: [
    { id: 'color', isOther: false, isSecret: false, options: [{ label: 'Red' }, { label: 'Blue' }] },
    { id: 'token', isOther: true, isSecret: true, options: null },
  ],
};

describe('approval decisions', () => {
  it('offer what the runtime listed, plus decline and cancel, which it always honours', () => {
    expect(approvalDecisionsFor(row({ available_decisions: EXEC_OFFER }))).toEqual([
      'accept',
      'acceptWithExecpolicyAmendment',
      'decline',
      'cancel',
    ]);
    expect(approvalDecisionsFor(row({ kind: 'fileChangeApproval' }))).toEqual([
      'accept',
      'acceptForSession',
      'decline',
      'cancel',
    ]);
  });

  it('refuse a granting decision the runtime did not offer, naming what it offered', () => {
    expect(() =>
      approvalResolution(row({ available_decisions: EXEC_OFFER }), { decision: 'acceptForSession' }),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_request',
        details: expect.objectContaining({ offered: expect.any(Array) }),
      }),
    );
  });

  it("send the runtime's own amendment, never one a client supplies", () => {
    expect(
      approvalResolution(row({ available_decisions: EXEC_OFFER }), {
        decision: 'acceptWithExecpolicyAmendment',
      }),
    ).toEqual({
      decision: 'acceptWithExecpolicyAmendment',
      response: { decision: EXEC_OFFER[1] },
    });
  });

  it('pick the one proposed network amendment, or the one named among several', () => {
    const one = row({ available_decisions: ['accept', NET('a.example')] });
    expect(approvalResolution(one, { decision: 'applyNetworkPolicyAmendment' }).response).toEqual({
      decision: NET('a.example'),
    });
    const two = row({ available_decisions: [NET('a.example'), NET('b.example')] });
    expect(() => approvalResolution(two, { decision: 'applyNetworkPolicyAmendment' })).toThrow(/pick one/);
    expect(
      approvalResolution(two, {
        decision: 'applyNetworkPolicyAmendment',
        networkPolicyAmendment: { host: 'b.example', action: 'allow' },
      }).response,
    ).toEqual({ decision: NET('b.example') });
    expect(() =>
      approvalResolution(two, {
        decision: 'applyNetworkPolicyAmendment',
        networkPolicyAmendment: { host: 'evil.example', action: 'allow' },
      }),
    ).toThrow(/not proposed/);
  });
});

describe('user-input answers', () => {
  const ask = row({ kind: 'userInput', params: QUESTIONS });

  it('map answers by question id to the runtime shape', () => {
    expect(userInputResolution(ask, { color: ['Blue'], token: ['s3cret'] })).toEqual({
      decision: 'answer',
      response: { answers: { color: { answers: ['Blue'] }, token: { answers: ['s3cret'] } } },
    });
  });

  it('reject unknown and missing questions and answers outside the options', () => {
    expect(() => userInputResolution(ask, { color: ['Blue'], token: ['x'], size: ['L'] })).toThrow(
      /no question with id size/,
    );
    expect(() => userInputResolution(ask, { color: ['Blue'] })).toThrow(/missing: token/);
    expect(() => userInputResolution(ask, { color: ['Green'], token: ['x'] })).toThrow(
      /takes one of its options/,
    );
  });

  it('never show answers to secret questions', () => {
    const response = { answers: { color: { answers: ['Blue'] }, token: { answers: ['s3cret'] } } };
    expect(redactResponse('userInput', QUESTIONS, response)).toEqual({
      answers: { color: { answers: ['Blue'] }, token: { answers: ['[redacted]'] } },
    });
  });
});

describe('repeats', () => {
  it('are recognised whatever the key order, and a cancel repeats a withdrawn request', () => {
    const response = { contentItems: [{ type: 'inputText', text: 'x' }], success: true };
    const decided = row({
      kind: 'toolCall',
      status: 'resolved',
      decision: 'respond',
      response_hash: responseHash(response),
    });
    const reordered = { success: true, contentItems: [{ text: 'x', type: 'inputText' }] };
    expect(
      sameResolution(decided, { decision: 'respond', response: reordered }, responseHash(reordered)),
    ).toBe(true);
    const other = { ...response, success: false };
    expect(sameResolution(decided, { decision: 'respond', response: other }, responseHash(other))).toBe(
      false,
    );
    const withdrawn = row({ status: 'resolved', decision: WITHDRAWN.decision, response_hash: null });
    const cancel = { decision: 'cancel', response: { decision: 'cancel' } };
    expect(sameResolution(withdrawn, cancel, responseHash(cancel.response))).toBe(true);
  });
});

describe('request policies', () => {
  it('default to declining, the first option and a failed tool call', () => {
    expect(policyResolution(row({ available_decisions: EXEC_OFFER }), DEFAULT_REQUEST_POLICY)).toEqual({
      decision: 'decline',
      response: { decision: 'decline' },
    });
    expect(
      policyResolution(row({ kind: 'userInput', params: QUESTIONS }), DEFAULT_REQUEST_POLICY).response,
    ).toEqual({
      answers: { color: { answers: ['Red'] }, token: { answers: [] } },
    });
    expect(policyResolution(row({ kind: 'toolCall' }), DEFAULT_REQUEST_POLICY).response).toMatchObject({
      success: false,
    });
  });

  it('fall back to decline when the accept they want was not offered', () => {
    const policy = requestPolicySchema.parse({ commandApproval: 'acceptForSession' });
    expect(policyResolution(row({ available_decisions: EXEC_OFFER }), policy)).toMatchObject({
      decision: 'decline',
      fallback: 'acceptForSession',
    });
  });

  it('reject unknown fields', () => {
    expect(requestPolicySchema.safeParse({ approvals: 'accept' }).success).toBe(false);
  });
});
