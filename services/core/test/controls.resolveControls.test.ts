import { resolveControls, runtimeControls, sandboxPolicyFor } from '../src';

describe('resolveControls', () => {
  it('resolves each field on its own: turn, then session, then default, then runtime', () => {
    const r = resolveControls({
      turn: { sandbox: 'workspace-write' },
      session: { model: 'm-session', sandbox: 'read-only' },
      default: { model: 'm-default', approvalPolicy: 'never', networkAccess: true },
      runtime: {
        model: 'm-runtime',
        approvalPolicy: 'on-request',
        sandbox: 'read-only',
        networkAccess: false,
      },
    });
    expect(r.values).toEqual({
      model: 'm-session',
      approvalPolicy: 'never',
      sandbox: 'workspace-write',
      networkAccess: true,
    });
    expect(r.sources).toEqual({
      model: 'session',
      approvalPolicy: 'default',
      sandbox: 'turn',
      networkAccess: 'default',
    });
  });

  it('leaves a field out when no layer sets it', () => {
    expect(resolveControls({ session: { model: 'x' } })).toEqual({
      values: { model: 'x' },
      sources: { model: 'session' },
    });
  });
});

describe('sandboxPolicyFor', () => {
  it("builds the runtime's policy for each mode, keeping writable roots of the thread's own policy", () => {
    expect(sandboxPolicyFor('read-only', true)).toEqual({ type: 'readOnly', networkAccess: true });
    expect(sandboxPolicyFor('danger-full-access', false)).toEqual({ type: 'dangerFullAccess' });
    expect(sandboxPolicyFor('workspace-write', false)).toMatchObject({
      type: 'workspaceWrite',
      writableRoots: [],
      networkAccess: false,
    });
    const base = {
      type: 'workspaceWrite' as const,
      writableRoots: ['/extra'],
      networkAccess: false,
      excludeTmpdirEnvVar: true,
      excludeSlashTmp: false,
    };
    expect(sandboxPolicyFor('workspace-write', true, base)).toEqual({ ...base, networkAccess: true });
  });
});

describe('runtimeControls', () => {
  it('reads the tuple back from what the runtime reported at thread creation', () => {
    expect(
      runtimeControls({
        model: 'mock',
        approvalPolicy: 'on-request',
        sandboxPolicy: { type: 'readOnly', networkAccess: false },
      }),
    ).toEqual({ model: 'mock', approvalPolicy: 'on-request', sandbox: 'read-only', networkAccess: false });
    // A granular approval policy has no place in the tuple; it is left to the runtime.
    expect(
      runtimeControls({
        model: null,
        approvalPolicy: { granular: {} },
        sandboxPolicy: { type: 'dangerFullAccess' },
      }),
    ).toEqual({
      sandbox: 'danger-full-access',
      networkAccess: true,
    });
  });
});
