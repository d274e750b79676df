// The CLI's command table. Each command parses its own options and returns an exit code.
import { auditCommand } from './audit-command';
import { benchCommand } from './bench-command';
import { evalCommand } from './eval-command';
import { fitCommand } from './fit-command';
import { predictCommand } from './predict-command';
import { modelsCommand } from './models-command';
import { synthSheetCommand } from './synth-sheet-command';

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: CliCommand[] = [
  fitCommand,
  evalCommand,
  predictCommand,
  modelsCommand,
  benchCommand,
  auditCommand,
  synthSheetCommand,
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: station <command> [options]   (npm run station -- <command> …)\n\nCommands:\n${lines.join('\n')}\n\nRun \`station <command> --help\` for its options.`;
}
