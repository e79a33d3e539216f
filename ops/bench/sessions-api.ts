/**
 * Latency of the session API against a running demo stack (`npm start -- --demo`):
 *
 *   node --import tsx ops/bench/sessions-api.ts http://127.0.0.1:8787 [rounds]
 *
 * Measures, per round: POST /messages (turn started), POST /interrupt of a streaming slow turn
 * (answers once the runtime has ended the turn), GET /sessions/:id with the runtime's transcript,
 * a page of GET /sessions (read model only) and GET /capabilities. Prints p50/p90/max in ms.
 */
const base = process.argv[2] ?? 'http://127.0.0.1:8787';
const rounds = Number(process.argv[3] ?? 10);

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ ms: number; status: number; body: T }> {
  const t0 = performance.now();
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  return { ms: performance.now() - t0, status: res.status, body: json };
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1);
  return `p50 ${q(0.5)}  p90 ${q(0.9)}  max ${s.at(-1)!.toFixed(1)}  (n=${s.length})`;
};

async function main(): Promise<void> {
  const samples: Record<string, number[]> = { send: [], interrupt: [], get: [], list: [], capabilities: [] };
  const { body } = await call<{ session: { id: string } }>('POST', '/api/sessions', { title: 'bench' });
  const id = body.session.id;
  type Detail = { turns: { id: string; status: string }[] };
  for (let i = 0; i < rounds; i++) {
    const sent = await call<{ turn: { id: string } }>('POST', `/api/sessions/${id}/messages`, {
      text: 'scn:slow:100x100',
    });
    if (sent.status !== 202) throw new Error(`send failed: ${JSON.stringify(sent.body)}`);
    samples.send!.push(sent.ms);
    await new Promise((r) => setTimeout(r, 300)); // let it stream
    const stop = await call<{ turn: { status: string } }>('POST', `/api/sessions/${id}/interrupt`, {});
    if (stop.body.turn?.status !== 'interrupted') throw new Error(`interrupt: ${JSON.stringify(stop.body)}`);
    samples.interrupt!.push(stop.ms);
    await until('turn ended in the read model', async () => {
      const d = await call<Detail>('GET', `/api/sessions/${id}?transcript=false`);
      return d.body.turns.every((t) => t.status !== 'inProgress');
    });
    samples.get!.push((await call('GET', `/api/sessions/${id}`)).ms);
    samples.list!.push((await call('GET', '/api/sessions?limit=50')).ms);
  }
  for (let i = 0; i < Math.min(rounds, 5); i++)
    samples.capabilities!.push((await call('GET', '/api/capabilities')).ms);
  for (const [k, v] of Object.entries(samples)) console.log(`${k.padEnd(13)} ${stats(v)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
