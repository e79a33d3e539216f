import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AppServerClient } from '../../services/runtime-bridge/src/app-server/client';
import { resolveCodexBinary } from '../../services/runtime-bridge/src/app-server/codex-bin';
import { writeScriptedCodexHome } from '../../services/runtime-bridge/src/codex-home';
import { startScriptedModel, type ScriptedModel } from '../scripted-model/server';
import { TurnTracker, benchEnv, type TurnDriver, type TurnTiming } from './turn-driver';

/**
 * The floor: the bare `codex app-server`, driven directly over stdio with the same client class the
 * runtime-bridge uses and the same scripted model, with no database, services or stream in between.
 */
export class FloorDriver implements TurnDriver {
  readonly name = 'floor';
  readonly #tracker = new TurnTracker();

  private constructor(
    private readonly client: AppServerClient,
    private readonly model: ScriptedModel,
    private readonly workspace: string,
  ) {
    client.on('notification', (method, params) => {
      const at = performance.now();
      const threadId = typeof params.threadId === 'string' ? params.threadId : undefined;
      if (method === 'item/agentMessage/delta') this.#tracker.delta(threadId, 1, at);
      else if (method === 'turn/completed') this.#tracker.completed(threadId, at);
    });
  }

  static async start(dir: string): Promise<FloorDriver> {
    const model = await startScriptedModel();
    const codexHome = path.join(dir, 'codex-home-floor');
    const workspace = path.join(dir, 'workspace-floor');
    fs.mkdirSync(workspace, { recursive: true });
    writeScriptedCodexHome(codexHome, model.url);
    const bin = resolveCodexBinary();
    const client = new AppServerClient({
      bin: bin.bin,
      pathDir: bin.pathDir,
      codexHome,
      cwd: workspace,
      env: benchEnv(dir),
    });
    await client.start();
    return new FloorDriver(client, model, workspace);
  }

  async newThread(): Promise<string> {
    const r = await this.client.request<{ thread: { id: string } }>('thread/start', { cwd: this.workspace });
    return r.thread.id;
  }

  turn(threadId: string, text: string): Promise<TurnTiming> {
    const t0 = performance.now();
    const done = this.#tracker.start(threadId, t0);
    this.client
      .request('turn/start', { threadId, input: [{ type: 'text', text, text_elements: [] }] })
      .catch((e: Error) => console.error(`floor turn/start failed: ${e.message}`));
    return done;
  }

  async stop(): Promise<void> {
    await this.client.stop();
    await this.model.close();
  }
}
