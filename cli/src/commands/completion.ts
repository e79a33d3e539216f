import { Argument, Command } from 'commander';
import { bashScript, zshScript } from '../completion/scripts';
import type { CliDeps } from '../context';

/** `cmgr completion bash|zsh`: prints a completion script for the whole command tree. */
export function completionCommand(deps: CliDeps, root: () => Command): Command {
  return new Command('completion')
    .description('Print a shell completion script (bash or zsh)')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      [
        '',
        'Load it in the current shell, or add the line to ~/.bashrc / ~/.zshrc:',
        '  source <(cmgr completion bash)',
        '  source <(cmgr completion zsh)      # after compinit',
      ].join('\n'),
    )
    .action((shell: string) => {
      deps.stdout.write(shell === 'zsh' ? zshScript(root()) : bashScript(root()));
    });
}
