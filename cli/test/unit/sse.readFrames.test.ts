import { readFrames } from '../../src/api/sse';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  const enc = new TextEncoder();
  for (const p of parts) yield enc.encode(p);
}

const all = async (it: AsyncIterable<unknown>) => {
  const out: unknown[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe('readFrames', () => {
  it('parses named and unnamed frames, skipping comments, across arbitrary chunk splits', async () => {
    const text =
      'event: ready\ndata: {"head":3}\n\n: ping\n\nid: 4\ndata: {"seq":4}\n\nid: 5\ndata: a\ndata: b\n\n';
    const whole = await all(readFrames(chunks(text)));
    expect(whole).toEqual([
      { event: 'ready', data: '{"head":3}' },
      { id: '4', data: '{"seq":4}' },
      { id: '5', data: 'a\nb' },
    ]);
    const split = await all(readFrames(chunks(...text.split(''))));
    expect(split).toEqual(whole);
  });

  it('accepts CRLF and CR line ends, including a CRLF split between chunks', async () => {
    expect(await all(readFrames(chunks('id: 1\r', '\ndata: x\r\n\r\n', 'data: y\r\r')))).toEqual([
      { id: '1', data: 'x' },
      { data: 'y' },
    ]);
  });

  it('delivers a last frame that lacks its blank line when the stream ends', async () => {
    expect(await all(readFrames(chunks('data: tail')))).toEqual([{ data: 'tail' }]);
  });
});
