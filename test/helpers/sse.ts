import type { EventEnvelope } from '../../services/core/src';

export interface SseFrame {
  id?: string;
  event?: string;
  data: unknown;
}

/**
 * A small SSE client over fetch for tests: collects frames, lets a test wait for a condition and
 * close the connection (to simulate a dropped socket).
 */
export class SseClient {
  frames: SseFrame[] = [];
  #controller = new AbortController();
  #waiters: (() => void)[] = [];
  #done: Promise<void>;
  #gate: Promise<void> | null = null;
  #openGate: () => void = () => undefined;
  status = 0;
  error: unknown = null;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.#done = this.#run(url, headers);
  }

  get events(): EventEnvelope[] {
    return this.frames.filter((f) => f.event === undefined).map((f) => f.data as EventEnvelope);
  }

  async #run(url: string, headers: Record<string, string>): Promise<void> {
    try {
      const res = await fetch(url, {
        headers: { accept: 'text/event-stream', ...headers },
        signal: this.#controller.signal,
      });
      this.status = res.status;
      if (!res.body) return;
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (this.#gate) await this.#gate;
        buf += decoder.decode(chunk, { stream: true });
        let idx: number;
        while ((idx = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, idx);
          buf = buf.slice(idx + 2);
          const frame: Partial<SseFrame> = {};
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const [k, ...rest] = line.split(':');
            const v = rest.join(':').replace(/^ /, '');
            if (k === 'id') frame.id = v;
            else if (k === 'event') frame.event = v;
            else if (k === 'data') data.push(v);
          }
          if (data.length === 0) continue;
          frame.data = JSON.parse(data.join('\n'));
          this.frames.push(frame as SseFrame);
          this.#waiters.splice(0).forEach((w) => w());
        }
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError') this.error = e;
    } finally {
      this.#waiters.splice(0).forEach((w) => w());
    }
  }

  /** Resolves when `pred` holds over the frames so far; rejects after `timeoutMs`. */
  async waitFor(pred: (c: SseClient) => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.frames.length} frames`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Stops reading the response: the server's writes pile up as they would for a stalled client. */
  pause(): void {
    this.#gate ??= new Promise((resolve) => (this.#openGate = resolve));
  }

  resume(): void {
    this.#gate = null;
    this.#openGate();
  }

  async close(): Promise<void> {
    this.resume();
    this.#controller.abort();
    await this.#done;
  }
}
