import type { OutputPart, StreamReply } from './sse';

/** The part of a Responses API request body the scripted model reads. */
export interface ResponsesRequest {
  model?: string;
  stream?: boolean;
  input?: InputItem[];
  tools?: ToolSpec[];
}

export interface InputItem {
  type?: string;
  role?: string;
  content?: unknown;
  /** Tool result of `function_call_output` / `custom_tool_call_output`: a string or content items. */
  output?: unknown;
}

export interface ToolSpec {
  type: string;
  name?: string;
}

export type Reply = ({ kind: 'stream' } & StreamReply) | { kind: 'http'; status: number; body: unknown };

interface ScenarioContext {
  /** Text after `scn:<name>:`, e.g. `50x200` for `scn:slow:50x200`. */
  arg: string | undefined;
  tools: ToolSpec[];
  /** The rest of the message after the marker (`scn:echo <text>` replies with `<text>`). */
  rest: string;
}

type Scenario = (ctx: ScenarioContext) => Reply;

const MARKER = /\bscn:([a-z0-9]+)(?::(\S+))?/;

/**
 * Codex sends its own context as `role: user` messages too (`<environment_context>…`,
 * `<turn_aborted>…`, AGENTS.md contents). Those must never select a scenario.
 */
const INJECTED_USER_TEXT = [/^\s*<([a-z_]+)>[\s\S]*<\/\1>\s*$/, /^# AGENTS\.md instructions for /];

/** Tools codex itself offers; any other function tool came from `thread/start.dynamicTools`. */
const BUILTIN_TOOLS = new Set([
  'exec_command',
  'write_stdin',
  'shell',
  'shell_command',
  'local_shell',
  'apply_patch',
  'update_plan',
  'request_user_input',
  'view_image',
  'get_goal',
  'create_goal',
  'update_goal',
  'tool_search',
  'web_search',
]);

/**
 * Shell tools in order of preference with their argument shapes. Unknown models get `exec_command`
 * on 0.169; the older `shell_command` / `shell` shapes are kept for other tool configurations.
 * `login: false` keeps the host's login profile out of the command: on our machines it prints
 * pyenv warnings into the output and costs ~1.3 s per command.
 */
const SHELL_TOOLS: { name: string; args: (command: string) => unknown }[] = [
  { name: 'exec_command', args: (cmd) => ({ cmd, login: false }) },
  { name: 'shell_command', args: (command) => ({ command }) },
  { name: 'shell', args: (command) => ({ command: ['bash', '-c', command] }) },
];

const EXEC_COMMAND = 'echo hi > out.txt';
const PATCH = '*** Begin Patch\n*** Add File: patched.txt\n+patched by the scripted model\n*** End Patch\n';
const ASK_ARGS = {
  questions: [
    {
      id: 'color',
      header: 'Color',
      question: 'Which color should I use?',
      options: [
        { label: 'Red (Recommended)', description: 'Warm.' },
        { label: 'Blue', description: 'Cool.' },
      ],
    },
  ],
};
const DYN_ARGS = { id: 'T-42' };
const THINKING = ['Thinking', ' about', ' it'];

/** Splits text into word-sized deltas ("Hello", " from", …) as a real model streams it. */
export function words(text: string): string[] {
  return text.match(/\s*\S+(\s+$)?/g) ?? [text];
}

function stream(output: OutputPart[]): Reply {
  return { kind: 'stream', output, end: { type: 'completed' } };
}

function say(text: string): Reply {
  return stream([{ type: 'message', deltas: words(text) }]);
}

function call(name: string, args: unknown): Reply {
  return stream([{ type: 'function_call', name, arguments: JSON.stringify(args) }]);
}

function offered(tools: ToolSpec[], name: string, type = 'function'): boolean {
  return tools.some((t) => t.type === type && t.name === name);
}

function shellCall(tools: ToolSpec[], command: string): Reply {
  const shell = SHELL_TOOLS.find((s) => offered(tools, s.name));
  return shell ? call(shell.name, shell.args(command)) : say('No shell tool was offered to me.');
}

/** Caps `scn:flood:N` / `scn:slow:N…` so a typo cannot make the server build a huge reply. */
const MAX_DELTAS = 100_000;

function positiveInt(s: string | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(s);
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : fallback;
}

export const SCENARIOS: Record<string, Scenario> = {
  text: () =>
    stream([
      { type: 'reasoning', summary: THINKING },
      { type: 'message', deltas: words('Hello from the scripted model.') },
    ]),
  exec: ({ tools }) => shellCall(tools, EXEC_COMMAND),
  // Catalog models get a freeform `apply_patch` tool; unknown ones run it through the shell, which
  // codex intercepts and turns into the same fileChange item.
  patch: ({ tools }) => {
    if (offered(tools, 'apply_patch', 'custom')) {
      return stream([{ type: 'custom_tool_call', name: 'apply_patch', input: PATCH }]);
    }
    if (offered(tools, 'apply_patch')) return call('apply_patch', { input: PATCH });
    return shellCall(tools, `apply_patch <<'EOF'\n${PATCH}EOF`);
  },
  ask: ({ tools }) =>
    offered(tools, 'request_user_input')
      ? call('request_user_input', ASK_ARGS)
      : say('No request_user_input tool was offered to me.'),
  dyn: ({ arg, tools }) => {
    const tool = tools.find((t) =>
      arg ? t.name === arg : t.type === 'function' && t.name !== undefined && !BUILTIN_TOOLS.has(t.name),
    );
    return tool?.name
      ? call(tool.name, DYN_ARGS)
      : say(arg ? `No tool named ${arg} was offered to me.` : 'No dynamic tool was offered to me.');
  },
  http500: () => ({
    kind: 'http',
    status: 500,
    body: { error: { type: 'server_error', message: 'scripted internal server error' } },
  }),
  http400: () => ({
    kind: 'http',
    status: 400,
    body: { error: { type: 'invalid_request_error', code: 'scripted', message: 'scripted bad request' } },
  }),
  failed: () => ({
    kind: 'stream',
    output: [],
    end: { type: 'failed', message: 'scripted response.failed' },
  }),
  drop: () => ({ kind: 'stream', output: [{ type: 'message', deltas: ['Partial'] }], end: { type: 'drop' } }),
  slow: ({ arg }) => {
    const [, n, ms] = /^(\d+)x(\d+)$/.exec(arg ?? '') ?? [];
    const deltas = Array.from({ length: positiveInt(n, 50, MAX_DELTAS) }, (_, i) => `tick${i} `);
    return stream([{ type: 'message', deltas, intervalMs: positiveInt(ms, 200) }]);
  },
  // Replies with the rest of the message verbatim: lets a test script any reply, e.g. JSON.
  echo: ({ rest }) => say(rest.trim() === '' ? 'NONE' : rest.trim()),
  flood: ({ arg }) => {
    const deltas = Array.from({ length: positiveInt(arg, 1000, MAX_DELTAS) }, (_, i) => String(i % 10));
    return stream([{ type: 'message', deltas }]);
  },
};

/** Without a marker the demo should still feel like a conversation. */
function greet(text: string): Reply {
  const quoted = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return stream([
    { type: 'reasoning', summary: THINKING },
    {
      type: 'message',
      deltas: words(
        `Hi! You said: "${quoted}". I am the scripted model, so I can only play scenarios: ` +
          `start a message with scn:exec, scn:patch, scn:ask or scn:dyn to try a flow.`,
      ),
    },
  ]);
}

function textOf(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((c: { text?: unknown }) => (typeof c?.text === 'string' ? [c.text] : []));
}

/** Text of the latest user message that a person wrote (codex-injected context skipped). */
export function latestUserText(input: InputItem[]): string {
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i];
    if (item?.role !== 'user') continue;
    const authored = textOf(item.content).filter((t) => !INJECTED_USER_TEXT.some((re) => re.test(t)));
    if (authored.length > 0) return authored.join('\n');
  }
  return '';
}

/**
 * The first marker outside quoted lines (`> …`): a message that quotes an earlier one, as worker
 * instructions do, must not replay that message's scenario.
 */
export function parseMarker(text: string): { name: string; arg: string | undefined; rest: string } | null {
  const own = text
    .split('\n')
    .filter((l) => !/^\s*>/.test(l))
    .join('\n');
  const m = MARKER.exec(own);
  return m?.[1] ? { name: m[1], arg: m[2], rest: own.slice(m.index + m[0].length) } : null;
}

/** The model's answer to one request: a tool follow-up, a named scenario, or the greeting. */
export function planReply(req: ResponsesRequest): Reply {
  const input = req.input ?? [];
  const last = input[input.length - 1];
  if (last?.type === 'function_call_output' || last?.type === 'custom_tool_call_output') {
    return say(`Tool said: ${textOf(last.output).join('\n').slice(0, 200)}`);
  }
  const text = latestUserText(input);
  const marker = parseMarker(text);
  if (!marker) return greet(text);
  const scenario = SCENARIOS[marker.name];
  if (!scenario)
    return say(`Unknown scenario scn:${marker.name}. Known: ${Object.keys(SCENARIOS).join(', ')}.`);
  return scenario({ arg: marker.arg, tools: req.tools ?? [], rest: marker.rest });
}
