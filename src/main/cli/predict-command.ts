// `station predict`: score images or folders with a model package; print one verdict per image
// and write heatmap overlays plus results.csv.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { readdirSync } from 'node:fs';
import { isImageFile } from '../imaging/files';
import { loadModelPackage } from '../models/runner';
import { verdictOf } from '../models/schema';
import { parseOptions, requireOption } from './args';
import type { CliCommand } from './commands';
import { overlayPng } from './overlay';

export const predictCommand: CliCommand = {
  name: 'predict',
  summary: 'score images or folders with a model package; write overlays and results.csv',
  usage: 'Usage: station predict --model PKG_DIR --out OUTDIR IMAGE_OR_FOLDER…',
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      { model: { type: 'string' }, out: { type: 'string' } },
      true,
    );
    const modelDir = resolve(requireOption(values.model, '--model'));
    const outDir = resolve(requireOption(values.out, '--out'));
    const inputs = positionals.flatMap((p) => {
      const abs = resolve(p);
      return statSync(abs).isDirectory()
        ? readdirSync(abs)
            .filter(isImageFile)
            .sort()
            .map((f) => join(abs, f))
        : [abs];
    });
    if (inputs.length === 0) throw new Error('No images given.');
    mkdirSync(outDir, { recursive: true });
    const runner = await loadModelPackage(modelDir);
    const rows = ['file,raw_score,norm_score,verdict,latency_ms,overlay'];
    let failures = 0;
    try {
      for (const file of inputs) {
        const t0 = performance.now();
        let out;
        try {
          out = await runner.score(file);
        } catch (err) {
          failures++;
          console.error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
          continue;
        }
        const ms = performance.now() - t0;
        const verdict = verdictOf(out.normScore, runner.info.thresholds);
        // An image-level model (no map) writes no overlay; its CSV cell stays empty.
        const overlay = out.map ? join(outDir, `${basename(file, extname(file))}.overlay.png`) : '';
        if (out.map) writeFileSync(overlay, await overlayPng(runner, file, out));
        rows.push([csv(file), out.rawScore, out.normScore, verdict, ms.toFixed(1), csv(overlay)].join(','));
        console.log(`${verdict.padEnd(6)} ${out.normScore.toFixed(3)}  ${file}`);
      }
    } finally {
      await runner.release();
    }
    writeFileSync(join(outDir, 'results.csv'), `${rows.join('\n')}\n`);
    console.error(`Wrote ${rows.length - 1} results to ${join(outDir, 'results.csv')}`);
    return failures > 0 ? 1 : 0;
  },
};

function csv(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
