// `npm run bench -- engine [--json] [--profile] [--provider NAME]…`: training-step vs forward
// figures of the engine (ResNet18-sized net and a MobileNetV2 student, batch 8, 256 px).
import { benchEngine, type EngineBench } from '../engine/bench';
import { DEFAULT_PROVIDER_ORDER, type ProviderName } from '../runtime';
import { intOption, parseOptions } from './args';

function markdown(r: EngineBench, command: string, machine: string): string {
  const row = (name: string, step: number, fwd: number, ratio: number) =>
    `| ${name} | ${step} ms | ${fwd} ms | ${ratio}× |`;
  return [
    `### Training engine (batch ${r.batch} × 3 × ${r.size}², SGD momentum 0.9)`,
    '',
    `Command: \`${command}\``,
    `Machine: ${machine}; load average ${r.load_average.join(' / ')} when it started (shared machine)`,
    `Threads: ${r.threads ?? 'ORT default'}; provider: ${r.provider}${r.skipped_providers.length ? ` (skipped: ${r.skipped_providers.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}; peak RSS ${r.peak_rss_mib} MiB`,
    '',
    '| net | training step | forward only | ratio |',
    '|---|---|---|---|',
    row('ResNet18-sized conv net', r.resnet18_step_ms, r.resnet18_forward_ms, r.resnet18_ratio),
    row(
      'MobileNetV2 student (depthwise)',
      r.mobilenet_v2_student_step_ms,
      r.mobilenet_v2_student_forward_ms,
      r.mobilenet_v2_student_ratio,
    ),
  ].join('\n');
}

export async function runEngineBench(argv: string[], machine: string): Promise<number> {
  const { values } = parseOptions(argv, {
    json: { type: 'boolean' },
    profile: { type: 'boolean' },
    provider: { type: 'string', multiple: true },
    batch: { type: 'string' },
    size: { type: 'string' },
    runs: { type: 'string' },
    threads: { type: 'string' },
  });
  const order = (values.provider ?? ['cpu']) as ProviderName[];
  const bad = order.filter((p) => !DEFAULT_PROVIDER_ORDER.includes(p));
  if (bad.length)
    throw new Error(`Unknown provider(s): ${bad.join(', ')} (known: ${DEFAULT_PROVIDER_ORDER.join(', ')}).`);
  const r = await benchEngine({
    providerOrder: order,
    profile: values.profile,
    batch: intOption(values.batch, '--batch', 8),
    size: intOption(values.size, '--size', 256),
    reps: intOption(values.runs, '--runs', 2),
    threads: values.threads === undefined ? undefined : intOption(values.threads, '--threads', 1),
  });
  if (values.json) console.log(JSON.stringify(r));
  else console.log(markdown(r, `npm run bench -- engine ${argv.join(' ')}`.trim(), machine));
  return 0;
}
