import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDocument, operationsOf } from '../../src/api/openapi';
import { runInProcess } from '../helpers/run';

// The choices of `sessions create --approval-policy`, as the committed API description has them.
const policies = (
  operationsOf(loadDocument()).find((o) => o.id === 'sessions.create')!.body!.schema.properties!
    .approvalPolicy!.enum as string[]
).slice();

/** Runs the generated bash completion for a command line, as bash would on Tab. */
function complete(script: string, line: string): string[] {
  const words = line.split(' ');
  const file = path.join(os.tmpdir(), `cmgr-completion-${process.pid}.bash`);
  fs.writeFileSync(file, script);
  const words_ = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '-c',
      `source ${file}; COMP_WORDS=(${words_}); COMP_CWORD=${words.length - 1}; _cmgr; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' },
  );
  fs.rmSync(file, { force: true });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('shell completion', () => {
  let bash: string;
  beforeAll(async () => {
    const r = await runInProcess(['completion', 'bash']);
    expect(r.code).toBe(0);
    bash = r.stdout;
  });

  it('completes commands, route groups and their actions', () => {
    expect(complete(bash, 'cmgr sess')).toEqual(['sessions']);
    expect(complete(bash, 'cmgr sessions ')).toEqual(
      expect.arrayContaining(['create', 'list', 'ls', 'send-message', 'get']),
    );
    expect(complete(bash, 'cmgr --json sessions se')).toEqual(['send-message']);
  });

  it('completes flags, including global ones, and the choices of a flag', () => {
    expect(complete(bash, 'cmgr sessions create --app')).toEqual(['--approval-policy']);
    expect(complete(bash, 'cmgr sessions create --approval-policy ')).toEqual([...policies].sort());
    expect(complete(bash, 'cmgr --profile prod sessions create --js')).toEqual(['--json']);
    expect(complete(bash, 'cmgr completion z')).toEqual([]);
  });

  it('prints a zsh script that completes the same way (checked where zsh is installed)', async () => {
    const r = await runInProcess(['completion', 'zsh']);
    expect(r.stdout).toMatch(/^#compdef cmgr codex-manager/);
    expect(r.stdout).toContain(`'_ sessions create --approval-policy' '${policies.join(' ')}'`);
    if (spawnSync('zsh', ['--version']).status !== 0) return;
    const file = path.join(os.tmpdir(), `cmgr-completion-${process.pid}.zsh`);
    fs.writeFileSync(file, r.stdout);
    // zsh's completion builtins replaced by printers: what _cmgr would offer, one per line.
    const harness = [
      'compdef() { : }',
      'compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }',
      '_describe() { local -a arr; arr=("${(@P)2}"); print -l -- "${arr[@]%%:*}" }',
      '_files() { print -- FILES }',
      `source ${file}`,
      "words=(cmgr sessions create --approval-policy ''); CURRENT=5; _cmgr; print -- ---",
      "words=(cmgr --profile p sessions ''); CURRENT=5; _cmgr; print -- ---",
      "words=(cmgr sessions create --cwd ''); CURRENT=5; _cmgr",
    ].join('\n');
    const z = spawnSync('zsh', ['-c', harness], { encoding: 'utf8' });
    fs.rmSync(file, { force: true });
    expect(z.stderr).toBe('');
    const [choices, actions, value] = z.stdout.split('---\n').map((b) => b.split('\n').filter(Boolean));
    expect(choices).toEqual(policies);
    expect(actions).toEqual(expect.arrayContaining(['create', 'list', 'ls', 'send-message']));
    expect(value).toEqual(['FILES']);
  });
});
