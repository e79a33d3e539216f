import { PassThrough } from 'node:stream';
import { LinePrompter, type Prompter } from '../../src/chat/prompter';
import {
  askDecision,
  askQuestions,
  describeApproval,
  parseAnswer,
  parseDecision,
  toolInputBody,
  toolReply,
  type PendingRequest,
} from '../../src/chat/questions';
import { createStyle } from '../../src/output/style';
import { Capture } from '../helpers/run';

const plain = createStyle(false);

/** A prompter answering from a script, recording what it was asked. */
function scripted(answers: (string | null)[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    ask: (q) => {
      asked.push(q);
      return Promise.resolve(answers.length ? answers.shift()! : null);
    },
    close: () => undefined,
  };
}

const approval = (over: Partial<PendingRequest> = {}): PendingRequest => ({
  id: 'req-1',
  kind: 'commandApproval',
  params: { command: "/bin/bash -lc 'echo hi > out.txt'", cwd: '/work', reason: 'needs write access' },
  decisions: ['accept', 'acceptForSession', 'decline', 'cancel'],
  ...over,
});

describe('approval prompts', () => {
  it('accepts a key, a word or the camelCase decision, among the offered ones only', () => {
    const offered = ['accept', 'acceptForSession', 'decline', 'cancel'];
    expect(parseDecision('a', offered)).toBe('accept');
    expect(parseDecision(' S ', offered)).toBe('acceptForSession');
    expect(parseDecision('acceptforsession', offered)).toBe('acceptForSession');
    expect(parseDecision('decline', offered)).toBe('decline');
    expect(parseDecision('c', offered)).toBe('cancel');
    expect(parseDecision('s', ['accept', 'decline'])).toBeNull();
    expect(parseDecision('yes', offered)).toBeNull();
    expect(parseDecision('', offered)).toBeNull();
  });

  it('asks again until the answer is one of the offered decisions', async () => {
    const p = scripted(['maybe', '', 'd']);
    await expect(askDecision(p, approval({ decisions: ['accept', 'decline'] }), plain)).resolves.toBe(
      'decline',
    );
    expect(p.asked).toHaveLength(3);
    expect(p.asked[0]).toBe('[a] accept  [d] decline\ndecision> ');
  });

  it('gives up (leaving the request pending) when input ends', async () => {
    await expect(askDecision(scripted([]), approval(), plain)).resolves.toBeNull();
  });

  it('offers the four decisions when the server lists none', async () => {
    const p = scripted(['s']);
    await expect(askDecision(p, approval({ decisions: null }), plain)).resolves.toBe('acceptForSession');
    expect(p.asked[0]).toContain('[c] cancel');
  });

  it('shows the command and its directory, or the file changes with their diff', () => {
    expect(describeApproval(approval(), undefined, plain)).toEqual([
      'approval needed: run a command',
      "  $ /bin/bash -lc 'echo hi > out.txt'",
      '  in /work',
      '  reason: needs write access',
    ]);
    const item = {
      type: 'fileChange',
      changes: [{ path: 'a.txt', kind: { type: 'add' }, diff: '+hello\n' }],
    };
    expect(describeApproval(approval({ kind: 'fileChangeApproval', params: {} }), item, plain)).toEqual([
      'approval needed: apply file changes',
      '  +a.txt',
      '    +hello',
    ]);
  });
});

describe('question prompts', () => {
  const question = {
    id: 'color',
    header: 'Color',
    question: 'Which color should I use?',
    isOther: true,
    isSecret: false,
    options: [
      { label: 'Red (Recommended)', description: 'Warm.' },
      { label: 'Blue', description: 'Cool.' },
    ],
  };

  it('takes an option number, a label, or free text where the question allows it', () => {
    expect(parseAnswer('2', question)).toBe('Blue');
    expect(parseAnswer('blue', question)).toBe('Blue');
    expect(parseAnswer('green', question)).toBe('green');
    expect(parseAnswer('9', { ...question, isOther: false })).toBeNull();
    expect(parseAnswer('green', { ...question, isOther: false })).toBeNull();
    expect(parseAnswer('anything', { id: 'q' })).toBe('anything');
    expect(parseAnswer('  ', question)).toBeNull();
  });

  it('asks each question in turn and collects the answers by question id', async () => {
    const lines: string[] = [];
    const p = scripted(['7', '1', 'secret sauce']);
    const req: PendingRequest = {
      id: 'r',
      kind: 'userInput',
      params: {
        questions: [
          { ...question, isOther: false },
          { id: 'pw', question: 'Password?', isSecret: true },
        ],
      },
      decisions: null,
    };
    await expect(askQuestions(p, req, plain, (l) => lines.push(l))).resolves.toEqual({
      color: ['Red (Recommended)'],
      pw: ['secret sauce'],
    });
    expect(lines).toEqual([
      'question (Color): Which color should I use?',
      '  1) Red (Recommended) — Warm.',
      '  2) Blue — Cool.',
      'question: Password?',
    ]);
  });

  it('shapes the answers as the route’s schema wants them', () => {
    const answers = { color: ['Blue'] };
    expect(toolInputBody(answers, undefined)).toEqual({ answers: { color: { answers: ['Blue'] } } });
    const wrapped = {
      properties: {
        answers: { additionalProperties: { type: 'object', properties: { answers: { type: 'array' } } } },
      },
    };
    expect(toolInputBody(answers, wrapped)).toEqual({ answers: { color: { answers: ['Blue'] } } });
    const flat = {
      properties: { answers: { additionalProperties: { anyOf: [{ type: 'string' }, { type: 'array' }] } } },
    };
    expect(toolInputBody(answers, flat)).toEqual({ answers: { color: ['Blue'] } });
  });

  it('turns a typed tool reply into content items; `!` reports failure; empty leaves it', () => {
    expect(toolReply('ticket T-42 is OPEN')).toEqual({
      contentItems: [{ type: 'inputText', text: 'ticket T-42 is OPEN' }],
      success: true,
    });
    expect(toolReply(' ! not found')).toEqual({
      contentItems: [{ type: 'inputText', text: 'not found' }],
      success: false,
    });
    expect(toolReply('  ')).toBeNull();
    expect(toolReply(null)).toBeNull();
  });
});

describe('LinePrompter', () => {
  it('keeps lines that arrive before they are asked for, and answers null at end of input', async () => {
    const input = new PassThrough();
    const out = new Capture();
    const p = new LinePrompter(input, out, () => undefined);
    const first = p.ask('decision> ');
    input.write('a\ns\n');
    await expect(first).resolves.toBe('a');
    await new Promise((r) => setImmediate(r));
    await expect(p.ask('again> ')).resolves.toBe('s');
    input.end();
    await expect(p.ask('more> ')).resolves.toBeNull();
    p.close();
    // Piped answers are echoed so the transcript reads like a terminal session.
    expect(out.text).toBe('decision> a\nagain> s\nmore> \n');
  });

  it('withdraws a question when its signal aborts', async () => {
    const input = new PassThrough();
    const p = new LinePrompter(input, new Capture(), () => undefined);
    const ctl = new AbortController();
    const pending = p.ask('decision> ', { signal: ctl.signal });
    ctl.abort();
    await expect(pending).resolves.toBeNull();
    input.write('late\n');
    await expect(p.ask('next> ')).resolves.toBe('late');
    p.close();
  });
});
