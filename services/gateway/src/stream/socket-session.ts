import type { Socket } from 'socket.io';
import { Encoder, PacketType } from 'socket.io-parser';
import type { z } from 'zod';
import type { EventEnvelope, EventFilter, Logger } from '@codex-manager/core';
import type { EventHub, StreamEnd, SubscriberFilter, Subscription } from './event-hub';
import { encodeOnce, endFrame } from './frames';
import {
  COMMANDS,
  PROTOCOL_VERSION,
  type CommandName,
  type ErrorFrame,
  type ServerFrames,
  type SubscriptionFrame,
} from './protocol';

export interface SessionOptions {
  /** Bytes a client may have unsent before it is cut off with a resume hint. */
  maxBufferedBytes: number;
}

type Ack = (reply: unknown) => void;

const encoder = new Encoder();
/**
 * `events` frames are written straight to the engine as pre-encoded socket.io packets: encoded once per
 * batch for every unfiltered socket, and the engine's write callback tells exactly when the bytes
 * left the process, which is what the per-client bound is measured on.
 */
const encodeEvents = encodeOnce(
  (events: EventEnvelope[]) =>
    encoder.encode({ type: PacketType.EVENT, nsp: '/', data: ['events', events] })[0] as string,
);

/**
 * One connected socket: its subscription, its position in the log and its outgoing buffer. Nothing is
 * delivered until the first `subscribe`, which starts the stream at the handshake cursor, so a client
 * that reconnects with `auth.after` and re-subscribes misses nothing in between.
 */
export class SocketSession {
  #all = false;
  #threads = new Set<string>();
  #types: string[] = [];
  #subscription: Subscription | null = null;
  #pending = 0;
  #drainWaiters: (() => void)[] = [];
  #ended = false;

  constructor(
    private readonly socket: Socket<Record<string, never>, ServerFrames>,
    private readonly hub: EventHub,
    private readonly cursor: number,
    private readonly opts: SessionOptions,
    private readonly log: Logger,
  ) {}

  /** Sends `ready` and starts answering commands. */
  open(head: number): void {
    const { socket } = this;
    socket.onAny((name: string, ...args: unknown[]) => this.#command(name, args));
    socket.on('disconnect', () => {
      this.#ended = true;
      this.#subscription?.cancel();
      this.#wakeDrainWaiters();
    });
    socket.emit('ready', { protocol: PROTOCOL_VERSION, head, cursor: this.cursor });
  }

  /**
   * Ends the stream with an `error` frame. On shutdown only the connection is closed, so socket.io
   * clients reconnect by themselves (to the restarted gateway); otherwise the socket is disconnected
   * and the client decides (re-read state after `cursor_expired`, resume after `slow_consumer`).
   */
  end(reason: StreamEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#subscription?.cancel();
    this.socket.emit('error', endFrame(reason));
    if (reason.code === 'server_shutdown') this.socket.conn.close();
    else this.socket.disconnect(true);
  }

  #command(name: string, args: unknown[]): void {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
    if (this.#ended) return;
    if (!Object.hasOwn(COMMANDS, name)) {
      return this.#refuse(ack, name, `unknown command ${JSON.stringify(name)}`, {
        known: Object.keys(COMMANDS),
      });
    }
    const command = name as CommandName;
    const parsed = COMMANDS[command].safeParse(args[0] ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const text = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
      return this.#refuse(ack, command, `invalid ${command}: ${text}`, { issues });
    }
    if (command === 'ping') {
      const nonce = (parsed.data as z.output<typeof COMMANDS.ping>).nonce;
      const pong = {
        ...(nonce === undefined ? {} : { nonce }),
        ts: new Date().toISOString(),
        head: this.hub.head,
        cursor: this.position,
      };
      return ack ? ack(pong) : void this.socket.emit('pong', pong);
    }
    if (command === 'subscribe') {
      const cmd = parsed.data as z.output<typeof COMMANDS.subscribe>;
      if (cmd.threads) for (const t of cmd.threads) this.#threads.add(t);
      else this.#all = true;
      if (cmd.types) this.#types = [...new Set(cmd.types)];
    } else {
      const cmd = parsed.data as z.output<typeof COMMANDS.unsubscribe>;
      if (!cmd.threads) {
        this.#all = false;
        this.#threads.clear();
      } else if (this.#all) {
        return this.#refuse(
          ack,
          command,
          'subscribed to all threads: unsubscribe {} first, then subscribe to the threads you want',
          {
            threads: cmd.threads,
          },
        );
      } else {
        for (const t of cmd.threads) this.#threads.delete(t);
      }
    }
    this.#apply();
    const frame: SubscriptionFrame = {
      all: this.#all,
      threads: this.#all ? [] : [...this.#threads],
      types: this.#types,
      cursor: this.position,
    };
    return ack ? ack(frame) : void this.socket.emit('subscription', frame);
  }

  #refuse(ack: Ack | undefined, command: string, message: string, details: Record<string, unknown>): void {
    const error: ErrorFrame = { code: 'invalid_request', message, command, details };
    if (ack) ack({ error });
    else this.socket.emit('error', error);
  }

  #filter(): SubscriberFilter {
    const types = this.#types.length > 0 ? { typePrefixes: this.#types } : {};
    if (this.#all) return types;
    if (this.#threads.size === 0) return 'none';
    return { threadIds: [...this.#threads], ...types } satisfies EventFilter;
  }

  /** The first subscribe starts the stream at the handshake cursor; later ones swap the filter. */
  #apply(): void {
    if (this.#subscription) {
      this.#subscription.filter = this.#filter();
      return;
    }
    this.#subscription = this.hub.subscribe(
      {
        filter: this.#filter(),
        deliver: (events) => this.#deliver(events),
        drained: () => this.#drained(),
        end: (reason) => this.end(reason),
      },
      this.cursor,
    );
  }

  /** A valid resume cursor for this socket right now. */
  get position(): number {
    return this.#subscription?.cursor ?? this.cursor;
  }

  #deliver(events: EventEnvelope[]): boolean {
    if (this.#ended) return true; // the disconnect handler cancels the subscription
    if (this.#pending > this.opts.maxBufferedBytes) {
      this.log.warn(
        { socket: this.socket.id, pending: this.#pending },
        'stream client too slow; cutting it off',
      );
      return false;
    }
    const packet = encodeEvents(events);
    this.#pending += packet.length;
    this.socket.conn.write(packet, {}, () => {
      this.#pending -= packet.length;
      if (this.#pending <= this.opts.maxBufferedBytes / 4) this.#wakeDrainWaiters();
    });
    return true;
  }

  #drained(): Promise<void> {
    if (this.#ended || this.#pending <= this.opts.maxBufferedBytes / 4) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #wakeDrainWaiters(): void {
    this.#drainWaiters.splice(0).forEach((w) => w());
  }
}
