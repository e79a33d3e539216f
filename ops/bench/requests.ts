import { parseArgs } from 'node:util';
import type { EventEnvelope } from '../../services/core/src';
import { SseClient } from '../../test/helpers/sse';

/**
 * Latency of the approval round trip against a running demo stack (`npm start -- --demo`):
 *
 *   node --import tsx ops/bench/requests.ts --url http://127.0.0.1:8787 --rounds 30
 *
 * Each round sends `scn:exec` in an `untrusted` session and declines the approval (nothing runs).
 * Measured: the runtime asking → `request.created` committed (runtime's `startedAtMs` to the event's
 * `ts`), the decision call's HTTP latency (conditional update, command to the bridge, answer written),
 * `request.resolved` → the runtime's `serverRequest/resolved`, and a burst of `--burst` concurrent
 * decisions on one request (until the last of them is answered).
 */
const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8787' },
    rounds: { type: 'string', default: '30' },
    burst: { type: 'string', default: '20' },
  },
});
const url = values.url!;
const rounds = Number(values.rounds);
const burst = Number(values.burst);

async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 500) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const ms = (a: string | number, b: string | number) => new Date(b).getTime() - new Date(a).getTime();

function summary(name: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1);
  return `${name.padEnd(44)} n=${s.length}  p50 ${q(0.5)} ms  p90 ${q(0.9)} ms  max ${s.at(-1)!.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const { session } = await api<{ session: { id: string } }>('POST', '/api/sessions', {
    approvalPolicy: 'untrusted',
    sandbox: 'workspace-write',
  });
  const stream = new SseClient(`${url}/api/stream?threads=${session.id}`);
  const stored: number[] = [];
  const decideHttp: number[] = [];
  const delivered: number[] = [];
  const bursts: number[] = [];
  const find = (pred: (e: EventEnvelope) => boolean) => stream.events.find(pred);
  try {
    for (let i = 0; i < rounds + 1; i++) {
      const { turn } = await api<{ turn: { id: string } }>('POST', `/api/sessions/${session.id}/messages`, {
        text: 'scn:exec',
      });
      const isCreated = (e: EventEnvelope) => e.type === 'request.created' && e.turnId === turn.id;
      await stream.waitFor(() => find(isCreated) !== undefined, 30_000, 'request.created');
      const created = find(isCreated)!;
      const id = created.data.requestId as string;
      const startedAtMs = (created.data.params as { startedAtMs: number }).startedAtMs;
      const decisionPath = `/api/approvals/${id}/decision`;
      const t0 = performance.now();
      if (i === rounds) {
        // The burst round: every caller but one loses; all must be answered.
        await Promise.all(
          Array.from({ length: burst }, (_, k) =>
            api(`POST`, decisionPath, { decision: k % 2 ? 'decline' : 'cancel' }),
          ),
        );
        bursts.push(performance.now() - t0);
      } else {
        await api('POST', decisionPath, { decision: 'decline' });
        decideHttp.push(performance.now() - t0);
      }
      const isAck = (e: EventEnvelope) =>
        e.type === 'runtime.serverRequest.resolved' && e.threadId === session.id;
      const isDone = (e: EventEnvelope) => e.type === 'runtime.turn.completed' && e.turnId === turn.id;
      await stream.waitFor(() => find(isDone) !== undefined, 30_000, 'turn/completed');
      const resolved = find((e) => e.type === 'request.resolved' && e.data.requestId === id)!;
      const ack = stream.events.filter((e) => e.seq > resolved.seq).find(isAck);
      stored.push(ms(startedAtMs, created.ts));
      if (ack && i < rounds) delivered.push(ms(resolved.ts, ack.ts));
    }
  } finally {
    await stream.close();
  }
  console.log(summary('runtime asks -> request.created committed', stored));
  console.log(summary('POST decision (HTTP, runtime answered)', decideHttp));
  console.log(summary('request.resolved -> serverRequest/resolved', delivered));
  console.log(summary(`${burst} concurrent decisions, all answered`, bursts));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
