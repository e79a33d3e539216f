/**
 * Which trace caused which turn: events of a turn carry the trace id of the command that started it
 * (falling back to the thread's latest command), so one trace follows a request to the stream.
 */
export interface TraceIds {
  traceId: string;
  /** The span of the command: the parent of whatever reacts to the events it caused. */
  spanId: string;
}

export class TraceIndex {
  #turns = new Map<string, TraceIds>();
  #threads = new Map<string, TraceIds>();

  setTurn(turnId: string, ids: TraceIds): void {
    this.#turns.set(turnId, ids);
  }

  setThread(threadId: string, ids: TraceIds): void {
    this.#threads.set(threadId, ids);
  }

  lookup(threadId: string | undefined, turnId: string | undefined): TraceIds | undefined {
    return (turnId && this.#turns.get(turnId)) || (threadId && this.#threads.get(threadId)) || undefined;
  }

  endTurn(turnId: string): void {
    this.#turns.delete(turnId);
  }
}
