// `npm run bench`: measures the figures docs/benchmarks.md records, and prints them as
// markdown with the command and the machine, ready to paste (or --out to write a file).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { benchBackbones, benchTable } from '../backbones';
import { METHODS } from '../methods/registry';
import { limitsToMarkdown, runLimits } from './bench-limits';
import { benchDemoLine } from '../station/bench';
import { onnxRuntimeVersion } from '../runtime';
import { resolveDataDir } from '../storage/data-dir';
import { dataDirOption, intOption, parseOptions } from './args';
import { runEngineBench } from './bench-engine';
import type { CliCommand } from './commands';

export interface BenchSection {
  name: string;
  run(ctx: { cacheDir: string; dataDir: string; runs: number; dataRoot: string }): Promise<string>;
}

const SECTIONS: BenchSection[] = [
  {
    name: 'backbones',
    async run({ cacheDir, runs }) {
      const rows = await benchBackbones({ cacheDir, runs });
      return `### Backbones (CPU provider)\n\n${benchTable(rows)}`;
    },
  },
  // One section per registered method that can measure itself.
  ...METHODS.filter((m) => m.bench).map((m): BenchSection => ({
    name: m.id,
    run: ({ cacheDir, dataRoot }) => m.bench!({ cacheDir, dataRoot, log: (line) => console.error(line) }),
  })),
  {
    name: 'station',
    async run({ dataDir }) {
      const rows: string[] = [];
      for (const backbone of ['mobilenet_v2', 'inception_v3'] as const) {
        const r = await benchDemoLine({ dataDir, frames: 300, backbone });
        const ms = (k: 'decode' | 'inference' | 'post' | 'logging') =>
          `${r.stageMs[k].toFixed(1)} (${(r.stageShare[k] * 100).toFixed(0)} %)`;
        rows.push(
          `| ${backbone} | ${r.frames} | ${r.fps.toFixed(1)} | ${r.latencyMs.p50.toFixed(1)} / ${r.latencyMs.p95.toFixed(1)} ms | ${r.latencyMs.worst.toFixed(1)} ms | ${r.overruns} | ${ms('decode')} | ${ms('inference')} | ${ms('post')} | ${ms('logging')} | ${r.verdicts.pass} / ${r.verdicts.review} / ${r.verdicts.fail} |`,
        );
      }
      return [
        '### Live loop on the demo line (replay as fast as inspected, PatchCore fast, CPU)',
        '',
        '| backbone | frames | fps | latency p50 / p95 | worst | overruns | decode ms | inference ms | post ms | logging ms | PASS / REVIEW / FAIL |',
        '|---|---|---|---|---|---|---|---|---|---|---|',
        ...rows,
      ].join('\n');
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
  summary: 'measure backbones, the registered methods and the live loop; print markdown tables',
  usage: `Usage: station bench [SECTION|--only SECTION]… [--runs N] [--data-dir DIR] [--out FILE]   sections: ${SECTIONS.map((s) => s.name).join('|')}
       station bench patchcore --json [--data-dir DIR] [--out FILE]   fit 200/1000 images, coreset, latency, live loop (as fast as inspected, and paced at half that) and GEMM ceiling as one JSON object
       station bench engine [--json] [--profile] [--provider P]…   training step vs forward`,
  async run(argv) {
    if (argv[0] === 'engine') return runEngineBench(argv.slice(1), machineLine());
    const { values, positionals } = parseOptions(
      argv,
      {
        only: { type: 'string', multiple: true },
        runs: { type: 'string' },
        'data-dir': { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    const paths = resolveDataDir({ cliArg: dataDirOption(values['data-dir']), fallback: '.data' });
    const dataRoot = resolve(process.env.STATION_EVAL_DATA ?? '../shared/data');
    const named = [...positionals, ...(values.only ?? [])];
    if (values.json) {
      if (named.length !== 1 || named[0] !== 'patchcore')
        throw new Error('--json is available for the patchcore section only: station bench patchcore --json');
      const limits = await runLimits({
        dataRoot,
        dataDir: paths.root,
        cacheDir: paths.cache,
        log: (l) => console.error(l),
      });
      console.error(limitsToMarkdown(limits, machineLine()));
      const json = JSON.stringify(limits);
      console.log(json);
      if (values.out) writeFileSync(values.out, `${json}\n`);
      return 0;
    }
    const wanted = named.length ? named : SECTIONS.map((s) => s.name);
    const unknown = wanted.filter((w) => !SECTIONS.some((s) => s.name === w));
    if (unknown.length) throw new Error(`Unknown bench section(s): ${unknown.join(', ')}.`);
    const runs = intOption(values.runs, '--runs', 5);
    const parts = [
      `Command: \`npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}\``,
      `Machine: ${machineLine()}`,
      `Date: ${new Date().toISOString().slice(0, 10)}`,
    ];
    for (const section of SECTIONS.filter((s) => wanted.includes(s.name))) {
      console.error(`bench: ${section.name}…`);
      parts.push(
        await section.run({
          cacheDir: paths.cache,
          dataDir: paths.root,
          runs,
          dataRoot,
        }),
      );
    }
    const markdown = `${parts.join('\n\n')}\n`;
    console.log(markdown);
    if (values.out) writeFileSync(values.out, markdown);
    return 0;
  },
};
