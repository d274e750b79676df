// `npm run bench`: measures the figures docs/benchmarks.md records, and prints them as
// markdown with the command and the machine, ready to paste (or --out to write a file).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { benchBackbones, benchTable } from '../backbones';
import { onnxRuntimeVersion } from '../runtime';
import { resolveDataDir } from '../storage/data-dir';
import { dataDirOption, intOption, parseOptions } from './args';
import type { CliCommand } from './commands';

export interface BenchSection {
  name: string;
  run(ctx: { cacheDir: string; runs: number }): Promise<string>;
}

const SECTIONS: BenchSection[] = [
  {
    name: 'backbones',
    async run({ cacheDir, runs }) {
      const rows = await benchBackbones({ cacheDir, runs });
      return `### Backbones (CPU provider)\n\n${benchTable(rows)}`;
    },
  },
];

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const mem = (os.totalmem() / 1024 ** 3).toFixed(0);
  return `${cpu}, ${os.cpus().length} cores, ${mem} GiB, ${os.platform()} ${os.arch()}, Node ${process.versions.node}, onnxruntime-node ${onnxRuntimeVersion()}`;
}

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'measure backbones, PatchCore and the live loop; print markdown tables',
  usage: `Usage: station bench [--only ${SECTIONS.map((s) => s.name).join('|')}]… [--runs N] [--data-dir DIR] [--out FILE]`,
  async run(argv) {
    const { values } = parseOptions(argv, {
      only: { type: 'string', multiple: true },
      runs: { type: 'string' },
      'data-dir': { type: 'string' },
      out: { type: 'string' },
    });
    const wanted = values.only ?? SECTIONS.map((s) => s.name);
    const unknown = wanted.filter((w) => !SECTIONS.some((s) => s.name === w));
    if (unknown.length) throw new Error(`Unknown bench section(s): ${unknown.join(', ')}.`);
    const paths = resolveDataDir({ cliArg: dataDirOption(values['data-dir']), fallback: '.data' });
    const runs = intOption(values.runs, '--runs', 5);
    const parts = [
      `Command: \`npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}\``,
      `Machine: ${machineLine()}`,
      `Date: ${new Date().toISOString().slice(0, 10)}`,
    ];
    for (const section of SECTIONS.filter((s) => wanted.includes(s.name))) {
      console.error(`bench: ${section.name}…`);
      parts.push(await section.run({ cacheDir: paths.cache, runs }));
    }
    const markdown = `${parts.join('\n\n')}\n`;
    console.log(markdown);
    if (values.out) writeFileSync(values.out, markdown);
    return 0;
  },
};
