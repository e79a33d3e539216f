import fs from 'node:fs';
import path from 'node:path';
import { AppError, createLogger } from '@codex-manager/core';
import { resolveCodexBinary } from '../src/app-server/codex-bin';
import { callRuntime } from '../src/commands/helpers';
import type { HandlerContext } from '../src/commands/types';
import { RuntimeMethods } from '../src/runtime-methods';

// The method table comes from the pinned binary itself: app-server answers an unknown method with
// the same JSON-RPC code as bad params, so only the binary's schema says what it implements.
let home: string;
let methods: RuntimeMethods;
beforeAll(() => {
  const dir = path.resolve(__dirname, '../../../.data/test');
  fs.mkdirSync(dir, { recursive: true });
  home = fs.mkdtempSync(path.join(dir, 'methods-'));
  methods = new RuntimeMethods({
    bin: resolveCodexBinary().bin,
    codexHome: home,
    log: createLogger('test', 'silent'),
  });
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe('RuntimeMethods.table', () => {
  it("lists the pinned runtime's methods and which of them are experimental, leaving nothing behind", async () => {
    const table = await methods.table();
    expect(table).not.toBeNull();
    for (const m of [
      'thread/start',
      'turn/start',
      'turn/interrupt',
      'thread/revert',
      'model/list',
      'command/exec',
    ])
      expect(table!.all.has(m)).toBe(true);
    expect(table!.experimental.has('collaborationMode/list')).toBe(true);
    expect(table!.experimental.has('thread/backgroundTerminals/clean')).toBe(true);
    expect(table!.experimental.has('thread/start')).toBe(false);
    expect(table!.all.has('thread/rollback')).toBe(false);
    expect(methods.peek()).toBe(table);
    // The scratch schema directories are removed (codex keeps a `tmp` of its own there).
    expect(fs.readdirSync(home).filter((f) => f.startsWith('.cm-schema-'))).toEqual([]);
  });

  it('refuses a method the runtime does not implement with not_supported, without calling it', async () => {
    await methods.table();
    const client = {
      request: () => {
        throw new Error('the runtime must not be called');
      },
    };
    const ctx = { methods, client } as unknown as HandlerContext;
    const err = await callRuntime(ctx, 'thread/rollback', { threadId: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('not_supported');
    expect((err as AppError).statusCode).toBe(501);
  });
});
