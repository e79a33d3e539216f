import { parseArgs } from 'node:util';
import { startScriptedModel } from './server';

/**
 * `node --import tsx ops/scripted-model/main.ts [--port N] [--host H]`: serves the scripted model and
 * prints one JSON line `{"url": …}` once it listens, so a parent process can read the address.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } } });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer between 0 and 65535, got ${values.port}`);
  }
  const model = await startScriptedModel({ port, host: values.host });
  console.log(JSON.stringify({ url: model.url }));
  const stop = () => {
    model.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
