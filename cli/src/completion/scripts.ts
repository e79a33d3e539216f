import type { Command, Option } from 'commander';

/**
 * Static completion scripts generated from the command tree: every group, action, flag and flag
 * choice is baked in, so a Tab press costs no process start. Regenerate after upgrading the CLI.
 */
interface Node {
  key: string;
  subs: { name: string; description: string }[];
  options: string[];
  valued: string[];
  choices: Record<string, string[]>;
}

const longFlags = (o: Option) => [o.long, o.short].filter((f): f is string => Boolean(f));

function walk(cmd: Command, key: string, out: Node[]): void {
  const opts = cmd.options.filter((o) => !o.hidden);
  const node: Node = {
    key,
    subs: [],
    options: [...opts.flatMap(longFlags), ...(key === '_' ? ['--help', '--version'] : [])],
    valued: opts.filter((o) => o.required || o.optional).flatMap(longFlags),
    choices: {},
  };
  for (const o of opts) if (o.argChoices) for (const f of longFlags(o)) node.choices[f] = o.argChoices;
  out.push(node);
  for (const sub of cmd.commands) {
    const names = [sub.name(), ...sub.aliases()];
    for (const n of names) node.subs.push({ name: n, description: sub.description().split('\n')[0] ?? '' });
    walk(sub, `${key} ${sub.name()}`, out);
    // Aliases lead to the same node.
    for (const a of sub.aliases()) walk(sub, `${key} ${a}`, out);
  }
}

export function commandTree(program: Command): Node[] {
  const out: Node[] = [];
  walk(program, '_', out);
  return out;
}

/** Single-quoted for bash and zsh: `it's` → `'it'\''s'`. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function tables(nodes: Node[], shell: 'bash' | 'zsh'): string {
  const lines: string[] = [];
  // bash takes `[key]=value` pairs; zsh (any version) takes alternating keys and values.
  const assign = (name: string, entries: [string, string][]) => {
    lines.push(`${name}=(`);
    for (const [k, v] of entries) lines.push(shell === 'bash' ? `  [${q(k)}]=${q(v)}` : `  ${q(k)} ${q(v)}`);
    lines.push(')');
  };
  assign(
    '_cmgr_subs',
    nodes.map((n) => [n.key, n.subs.map((s) => s.name).join(' ')]),
  );
  assign(
    '_cmgr_opts',
    nodes.map((n) => [n.key, n.options.join(' ')]),
  );
  assign(
    '_cmgr_valued',
    nodes.map((n) => [n.key, ` ${n.valued.join(' ')} `]),
  );
  assign(
    '_cmgr_choices',
    nodes.flatMap((n) =>
      Object.entries(n.choices).map(([f, c]) => [`${n.key} ${f}`, c.join(' ')] as [string, string]),
    ),
  );
  if (shell === 'zsh')
    assign(
      '_cmgr_descs',
      nodes.map((n) => [
        n.key,
        n.subs.map((s) => `${s.name}:${s.description.replace(/\n/g, ' ')}`).join('\n'),
      ]),
    );
  return lines.join('\n');
}

export function bashScript(program: Command): string {
  const nodes = commandTree(program);
  return `# cmgr completion for bash (4+). Load it with:  source <(cmgr completion bash)
declare -gA _cmgr_subs _cmgr_opts _cmgr_valued _cmgr_choices
${tables(nodes, 'bash')}

_cmgr() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" key="_" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ "$w" == -* ]]; then
      if [[ "$w" != *=* && ( "\${_cmgr_valued[$key]}" == *" $w "* || "\${_cmgr_valued[_]}" == *" $w "* ) ]]; then
        ((i++))
      fi
      continue
    fi
    if [[ " \${_cmgr_subs[$key]} " == *" $w "* ]]; then key="$key $w"; fi
  done
  local choices="\${_cmgr_choices[$key $prev]:-\${_cmgr_choices[_ $prev]}}"
  if [[ -n "$choices" ]]; then
    COMPREPLY=($(compgen -W "$choices" -- "$cur"))
    return
  fi
  if [[ "$prev" == -* && ( "\${_cmgr_valued[$key]}" == *" $prev "* || "\${_cmgr_valued[_]}" == *" $prev "* ) ]]; then
    COMPREPLY=()
    return
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "\${_cmgr_opts[$key]} \${_cmgr_opts[_]}" -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W "\${_cmgr_subs[$key]}" -- "$cur"))
}
complete -o default -F _cmgr cmgr codex-manager
`;
}

export function zshScript(program: Command): string {
  const nodes = commandTree(program);
  return `#compdef cmgr codex-manager
# cmgr completion for zsh. Load it with:  source <(cmgr completion zsh)   (after compinit)
typeset -gA _cmgr_subs _cmgr_opts _cmgr_valued _cmgr_choices _cmgr_descs
${tables(nodes, 'zsh')}

_cmgr() {
  local key=_ i w cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
  for (( i = 2; i < CURRENT; i++ )); do
    w=\${words[i]}
    if [[ $w == -* ]]; then
      if [[ $w != *=* && ( "\${_cmgr_valued[$key]}" == *" $w "* || "\${_cmgr_valued[_]}" == *" $w "* ) ]]; then
        (( i++ ))
      fi
      continue
    fi
    if [[ " \${_cmgr_subs[$key]} " == *" $w "* ]]; then key="$key $w"; fi
  done
  local choices=\${_cmgr_choices[$key $prev]:-\${_cmgr_choices[_ $prev]}}
  if [[ -n $choices ]]; then compadd -- \${=choices}; return; fi
  if [[ $prev == -* && ( "\${_cmgr_valued[$key]}" == *" $prev "* || "\${_cmgr_valued[_]}" == *" $prev "* ) ]]; then
    _files
    return
  fi
  if [[ $cur == -* ]]; then compadd -- \${=_cmgr_opts[$key]} \${=_cmgr_opts[_]}; return; fi
  local -a subs
  subs=(\${(f)_cmgr_descs[$key]})
  if (( \${#subs} )); then _describe 'command' subs; else _files; fi
}
compdef _cmgr cmgr codex-manager
`;
}
