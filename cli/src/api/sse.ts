/** One Server-Sent Events frame (comments such as `: ping` are dropped). */
export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/** Parses a `text/event-stream` body into frames, as the SSE spec describes (LF, CRLF or CR lines). */
export async function* readFrames(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder();
  let buf = '';
  let frame: Partial<SseFrame> = {};
  let data: string[] = [];
  const flushLine = function* (line: string): Generator<SseFrame> {
    if (line === '') {
      if (data.length) yield { ...frame, data: data.join('\n') };
      frame = {};
      data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'id') frame.id = value;
    else if (field === 'event') frame.event = value;
  };
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    let m: RegExpExecArray | null;
    const eol = /\r\n|\r|\n/g;
    let start = 0;
    while ((m = eol.exec(buf))) {
      // A lone CR at the very end may be the first half of CRLF: wait for more.
      if (m[0] === '\r' && m.index === buf.length - 1) break;
      yield* flushLine(buf.slice(start, m.index));
      start = m.index + m[0].length;
    }
    buf = buf.slice(start);
  }
  if (buf) yield* flushLine(buf);
  yield* flushLine('');
}
