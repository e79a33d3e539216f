import { startTraceViewer } from './server';

/** `node --import tsx ops/trace-viewer/main.ts [--port N] [--host H]` */
async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const viewer = await startTraceViewer({
    host: arg('host') ?? '127.0.0.1',
    port: Number(arg('port') ?? 16686),
  });
  console.log(JSON.stringify({ url: viewer.url, otlpEndpoint: viewer.url }));
  const stop = () => void viewer.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
