/**
 * Turns a scripted reply into OpenAI Responses API stream events. Only the events codex 0.169
 * consumes are produced; the shapes follow `../shared/codex-app-server-0.169.md` §3.
 */

/** One output item of a scripted response, in stream order. */
export type OutputPart =
  | { type: 'reasoning'; summary: string[] }
  | { type: 'message'; deltas: string[]; intervalMs?: number }
  | { type: 'function_call'; name: string; arguments: string }
  | { type: 'custom_tool_call'; name: string; input: string };

/**
 * How the stream ends: `response.completed`, `response.failed`, or a bare connection close. A drop
 * leaves the last output item open (no `.done` events), as a stream cut mid-message would.
 */
export type StreamEnd = { type: 'completed' } | { type: 'failed'; message: string } | { type: 'drop' };

export interface StreamReply {
  output: OutputPart[];
  end: StreamEnd;
}

export interface SseEvent {
  type: string;
  data: Record<string, unknown>;
  /** Wait this long before writing the event (slow streams). */
  delayMs: number;
}

export interface Usage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export function encodeSse(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Deterministic token counts: the same request shape and reply always report the same usage, so
 * tests can assert on `thread/tokenUsage/updated`. Roughly 4 characters per token.
 */
export function usageFor(inputItems: number, reply: StreamReply): Usage {
  const tokens = (chars: number) => Math.ceil(chars / 4);
  let reasoning = 0;
  let output = 0;
  for (const part of reply.output) {
    if (part.type === 'reasoning') reasoning += tokens(part.summary.join('').length);
    else if (part.type === 'message') output += tokens(part.deltas.join('').length);
    else if (part.type === 'function_call') output += tokens(part.name.length + part.arguments.length);
    else output += tokens(part.name.length + part.input.length);
  }
  const input = 10 * inputItems;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output + reasoning,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + output + reasoning,
  };
}

/**
 * The events of one response. `responseId` seeds every item id so ids never repeat within a server's
 * life (codex keys agentMessage items by the message id).
 */
export function* responseEvents(
  responseId: string,
  model: string,
  reply: StreamReply,
  usage: Usage,
): Generator<SseEvent> {
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>, delayMs = 0): SseEvent => ({
    type,
    data: { type, sequence_number: seq++, ...data },
    delayMs,
  });
  const response = { id: responseId, object: 'response', model, created_at: 0 };
  yield ev('response.created', { response: { ...response, status: 'in_progress', output: [] } });

  const done: Record<string, unknown>[] = [];
  for (const [output_index, part] of reply.output.entries()) {
    const id = `${responseId}_${output_index}`;
    if (part.type === 'reasoning') {
      const item_id = `rs_${id}`;
      yield ev('response.output_item.added', {
        output_index,
        item: { type: 'reasoning', id: item_id, summary: [] },
      });
      const summary = part.summary.join('');
      const at = { item_id, output_index, summary_index: 0 };
      yield ev('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } });
      for (const delta of part.summary) yield ev('response.reasoning_summary_text.delta', { ...at, delta });
      yield ev('response.reasoning_summary_text.done', { ...at, text: summary });
      yield ev('response.reasoning_summary_part.done', {
        ...at,
        part: { type: 'summary_text', text: summary },
      });
      const item = { type: 'reasoning', id: item_id, summary: [{ type: 'summary_text', text: summary }] };
      done.push(item);
      yield ev('response.output_item.done', { output_index, item });
    } else if (part.type === 'message') {
      const item_id = `msg_${id}`;
      const base = { type: 'message', id: item_id, role: 'assistant' };
      yield ev('response.output_item.added', {
        output_index,
        item: { ...base, status: 'in_progress', content: [] },
      });
      const at = { item_id, output_index, content_index: 0 };
      yield ev('response.content_part.added', {
        ...at,
        part: { type: 'output_text', text: '', annotations: [] },
      });
      for (const [i, delta] of part.deltas.entries()) {
        yield ev('response.output_text.delta', { ...at, delta }, i === 0 ? 0 : (part.intervalMs ?? 0));
      }
      if (reply.end.type === 'drop' && output_index === reply.output.length - 1) return;
      const text = part.deltas.join('');
      const content = { type: 'output_text', text, annotations: [] };
      yield ev('response.output_text.done', { ...at, text });
      yield ev('response.content_part.done', { ...at, part: content });
      const item = { ...base, status: 'completed', content: [content] };
      done.push(item);
      yield ev('response.output_item.done', { output_index, item });
    } else {
      const call_id = `call_${id}`;
      const item =
        part.type === 'function_call'
          ? { type: 'function_call', id: `fc_${id}`, call_id, name: part.name, arguments: part.arguments }
          : { type: 'custom_tool_call', id: `ctc_${id}`, call_id, name: part.name, input: part.input };
      yield ev('response.output_item.added', { output_index, item: { ...item, status: 'in_progress' } });
      const completed = { ...item, status: 'completed' };
      done.push(completed);
      yield ev('response.output_item.done', { output_index, item: completed });
    }
  }

  if (reply.end.type === 'completed') {
    yield ev('response.completed', { response: { ...response, status: 'completed', output: done, usage } });
  } else if (reply.end.type === 'failed') {
    const error = { code: 'server_error', message: reply.end.message };
    yield ev('response.failed', { response: { ...response, status: 'failed', output: done, error, usage } });
  }
}
