/**
 * Which trace caused which turn: events of a turn carry the trace id of the command that started it
 * (falling back to the thread's latest command), so one trace follows a request to the stream.
 */
export class TraceIndex {
  #turns = new Map<string, string>();
  #threads = new Map<string, string>();

  setTurn(turnId: string, traceId: string): void {
    this.#turns.set(turnId, traceId);
  }

  setThread(threadId: string, traceId: string): void {
    this.#threads.set(threadId, traceId);
  }

  lookup(threadId: string | undefined, turnId: string | undefined): string | undefined {
    return (turnId && this.#turns.get(turnId)) || (threadId && this.#threads.get(threadId)) || undefined;
  }

  endTurn(turnId: string): void {
    this.#turns.delete(turnId);
  }
}
