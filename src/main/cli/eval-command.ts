// `station eval`: fit on DIR/train/good (or load --model), score DIR/test, write report.json,
// report.md and a contact sheet of the worst errors per category.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listMvtecCategories, readMvtecCategory } from '../eval/datasets';
import {
  categoryResultFromMetrics,
  selectWorst,
  writeReport,
  type CategoryResult,
  type ContactItem,
} from '../eval/report';
import { evenSubsample, evaluateRunner } from '../eval/runner-eval';
import { loadModelPackage } from '../models/runner';
import { resolveDataDir } from '../storage/data-dir';
import { dataDirOption, intOption, parseOptions, requireOption } from './args';
import type { CliCommand } from './commands';
import { FIT_OPTIONS, fitPackage, fitUsageOptions, parseFitSettings } from './fit-command';
import { overlayPng } from './overlay';
import { progressLine } from './progress';

export const evalCommand: CliCommand = {
  name: 'eval',
  summary: 'fit and evaluate on an MVTec-layout dataset; write report.json, report.md, contact sheets',
  get usage() {
    return `Usage: station eval --data DIR --out OUTDIR [--category NAME]… [--model PKG_DIR] [--train-limit N] ${fitUsageOptions()} [--data-dir DIR]`;
  },
  async run(argv) {
    const { values } = parseOptions(argv, {
      ...FIT_OPTIONS,
      data: { type: 'string' },
      out: { type: 'string' },
      category: { type: 'string', multiple: true },
      model: { type: 'string' },
      'train-limit': { type: 'string' },
    });
    const settings = parseFitSettings(values);
    const root = resolve(requireOption(values.data, '--data'));
    const outDir = resolve(requireOption(values.out, '--out'));
    const trainLimit = intOption(values['train-limit'], '--train-limit', 0, 0);
    const paths = resolveDataDir({ cliArg: dataDirOption(values['data-dir']), fallback: '.data' });
    const isCategory = existsSync(join(root, 'train', 'good'));
    const categories = isCategory
      ? [root]
      : (values.category ?? (await listMvtecCategories(root))).map((c) => join(root, c));

    const results: CategoryResult[] = [];
    const samples: Record<string, ContactItem[]> = {};
    const thresholds: Record<string, number> = {};
    for (const dir of categories) {
      const ds = await readMvtecCategory(dir);
      const train = trainLimit > 0 ? evenSubsample(ds.train, trainLimit) : ds.train;
      let modelDir = values.model ? resolve(values.model) : join(outDir, ds.category, 'model');
      let fitMs = 0;
      if (!values.model) {
        console.error(`${ds.category}: fitting on ${train.length} good images…`);
        const t0 = performance.now();
        modelDir = (await fitPackage(train, modelDir, settings, paths.cache)).dir;
        fitMs = performance.now() - t0;
      }
      const runner = await loadModelPackage(modelDir);
      try {
        const items: ContactItem[] = [];
        const json = runner.info.thresholds;
        const { metrics } = await evaluateRunner(runner, ds.test, {
          hasMasks: ds.hasMasks,
          score: 'normalised',
          thresholds: { t1: json.t1, t2: json.t2 },
          onItem: (t, out, i) => {
            items.push({ path: t.path, score: out.normScore, label: t.label });
            progressLine(`${ds.category}`, i + 1, ds.test.length, null);
          },
        });
        const result = categoryResultFromMetrics(ds.category, metrics, {
          nTrain: train.length,
          fitMs,
          model: { method: settings.method.id, backbone: settings.backbone, preset: settings.preset },
        });
        results.push(result);
        thresholds[ds.category] = json.t2;
        // Overlays only for the tiles the contact sheet shows: re-scoring a dozen images is cheaper
        // than keeping every map of the test split in memory.
        const worst = selectWorst(items, 8, json.t2);
        // An image-level model has no map: the contact sheet says so instead of an overlay.
        if (runner.info.mapOutput)
          for (const item of [...worst.falsePositives, ...worst.falseNegatives]) {
            item.overlayPng = await overlayPng(runner, item.path);
          }
        samples[ds.category] = [...worst.falsePositives, ...worst.falseNegatives];
        console.error(
          runner.info.mapOutput
            ? `${ds.category}: image AUROC ${fmt(result.imageAuroc)}, pixel AUROC ${fmt(result.pixelAuroc)}, AUPRO ${fmt(result.aupro)}, F1-max ${fmt(result.f1Max)}`
            : `${ds.category}: image AUROC ${fmt(result.imageAuroc)}, F1-max ${fmt(result.f1Max)} (image-level method: no heatmap, image metrics only)`,
        );
      } finally {
        await runner.release();
      }
    }
    const written = await writeReport(outDir, results, { samples, thresholds });
    console.log(`Report: ${written.jsonPath}`);
    return 0;
  },
};

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : '–';
}
