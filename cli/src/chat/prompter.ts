import readline from 'node:readline';
import { Writable } from 'node:stream';
import type { OutStream } from '../output/output';

/**
 * Line input for the chat: the next message, an approval decision, an answer. Lines are queued as
 * they arrive, so answers piped in ahead of time (`printf 'a\n' | cmgr chat …`) are not lost.
 */
export interface Prompter {
  /** Resolves with the next line, or null when input has ended or the question was withdrawn. */
  ask(question: string, opts?: { signal?: AbortSignal; secret?: boolean }): Promise<string | null>;
  close(): void;
}

export class LinePrompter implements Prompter {
  readonly #input: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly #output: OutStream;
  readonly #onInterrupt: () => void;
  #rl: readline.Interface | undefined;
  #lines: string[] = [];
  #ended = false;
  #waiter: ((line: string | null) => void) | undefined;
  #muted = false;

  constructor(
    input: NodeJS.ReadableStream & { isTTY?: boolean },
    output: OutStream,
    onInterrupt: () => void,
  ) {
    this.#input = input;
    this.#output = output;
    this.#onInterrupt = onInterrupt;
  }

  #start(): readline.Interface {
    if (this.#rl) return this.#rl;
    const out = this.#output;
    // Secret answers: the terminal's echo goes nowhere while muted.
    const sink = new Writable({
      write: (chunk, _enc, cb) => {
        if (!this.#muted) out.write(chunk);
        cb();
      },
    });
    const tty = this.#input.isTTY === true;
    const rl = readline.createInterface({ input: this.#input, output: sink, terminal: tty });
    rl.on('line', (line) => {
      if (this.#waiter) {
        const w = this.#waiter;
        this.#waiter = undefined;
        w(line);
      } else this.#lines.push(line);
    });
    rl.on('close', () => {
      this.#ended = true;
      this.#waiter?.(null);
      this.#waiter = undefined;
    });
    // Ctrl-C at a prompt: the same as Ctrl-C anywhere else in the chat.
    rl.on('SIGINT', () => this.#onInterrupt());
    this.#rl = rl;
    return rl;
  }

  ask(question: string, opts: { signal?: AbortSignal; secret?: boolean } = {}): Promise<string | null> {
    const rl = this.#start();
    if (opts.signal?.aborted) return Promise.resolve(null);
    const tty = this.#input.isTTY === true;
    // The last line of the question is readline's prompt, so line editing redraws it correctly.
    const nl = question.lastIndexOf('\n');
    if (nl >= 0) this.#output.write(question.slice(0, nl + 1));
    rl.setPrompt(question.slice(nl + 1));
    const queued = this.#lines.shift();
    if (queued !== undefined || this.#ended) {
      rl.prompt();
      this.#output.write(queued === undefined ? '\n' : `${opts.secret ? '***' : queued}\n`);
      return Promise.resolve(queued ?? null);
    }
    this.#muted = false;
    rl.prompt();
    this.#muted = opts.secret === true;
    return new Promise((resolve) => {
      const done = (line: string | null) => {
        opts.signal?.removeEventListener('abort', onAbort);
        const muted = this.#muted;
        this.#muted = false;
        // Piped answers are not echoed by a terminal: show them, so the transcript reads right.
        if (line !== null && !tty) this.#output.write(`${opts.secret ? '***' : line}\n`);
        else if (line === null || muted) this.#output.write('\n');
        resolve(line);
      };
      const onAbort = () => {
        this.#waiter = undefined;
        // Drop what was typed so far: it belonged to the withdrawn question.
        if (tty) rl.write(null, { ctrl: true, name: 'u' });
        done(null);
      };
      this.#waiter = done;
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.#rl?.close();
    this.#rl = undefined;
  }
}

/** When there is nowhere to read answers from. */
export const noPrompter: Prompter = {
  ask: () => Promise.resolve(null),
  close: () => undefined,
};
