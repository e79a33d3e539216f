import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io-client';
import { EventLog, type NewEvent, type Pool } from '@codex-manager/core';
import { streamClient } from './stack';
import { summarize, until, type Summary } from './stats';

export interface FanoutResult {
  clients: number;
  events: number;
  /** Events per second each client received (all of them, first append → last arrival). */
  perClientPerSec: number;
  /** Deliveries per second across all clients. */
  deliveriesPerSec: number;
  /** Append → arrival at a client, ms. */
  latency: Summary;
}

const PAD = 'x'.repeat(200);

/**
 * Fan-out through a running gateway: `clients` socket.io clients subscribed to everything while this
 * process appends `events` events as fast as it can, 50 per transaction (as the runtime-bridge does
 * under load), each stamped with its append time.
 */
export async function fanout(
  url: string,
  pool: Pool,
  clients: number,
  events: number,
): Promise<FanoutResult> {
  const run = randomBytes(4).toString('hex');
  const received = new Array<number>(clients).fill(0);
  const latencies: number[] = [];
  let lastAt = 0;
  const sockets: Socket[] = [];
  for (let i = 0; i < clients; i++) {
    sockets.push(
      await streamClient(url, (batch, at) => {
        for (const e of batch) {
          if (e.data.run !== run) continue;
          received[i]!++;
          if (i % 5 === 0) latencies.push(at - (e.data.sentAt as number));
        }
        lastAt = at;
      }),
    );
  }
  try {
    const log = new EventLog(pool);
    const t0 = performance.now();
    for (let sent = 0; sent < events; sent += 50) {
      const sentAt = performance.now();
      const batch: NewEvent[] = Array.from({ length: Math.min(50, events - sent) }, (_, j) => ({
        type: 'bench.event',
        source: 'bench',
        data: { run, n: sent + j, sentAt, pad: PAD },
      }));
      await log.append(batch);
    }
    await until(
      () => received.every((n) => n >= events),
      120_000,
      `${clients} clients to receive ${events} events`,
    );
    const seconds = (lastAt - t0) / 1000;
    return {
      clients,
      events,
      perClientPerSec: events / seconds,
      deliveriesPerSec: (events * clients) / seconds,
      latency: summarize(latencies),
    };
  } finally {
    for (const s of sockets) s.close();
  }
}

export interface AppendResult {
  batch: number;
  events: number;
  perSec: number;
}

/** Raw append throughput of the event log: `events` events in transactions of `batch`, one writer. */
export async function appendThroughput(pool: Pool, batch: number, events: number): Promise<AppendResult> {
  const log = new EventLog(pool);
  const t0 = performance.now();
  for (let sent = 0; sent < events; sent += batch) {
    await log.append(
      Array.from({ length: Math.min(batch, events - sent) }, (_, j) => ({
        type: 'bench.append',
        source: 'bench',
        data: { n: sent + j, pad: PAD },
      })),
    );
  }
  return { batch, events, perSec: events / ((performance.now() - t0) / 1000) };
}
