// Two versions on the same images: every image in a folder scored by both, each with its own
// thresholds, so the QA engineer sees where a new version would judge differently before it
// goes live. Sessions are separate from the live loop's and use one thread.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ModelCompareResult, ModelCompareRow, ModelVersionDto } from '@shared/training';
import { isImageFile } from '../eval/datasets';
import { naturalCompare } from '../eval/natural-sort';
import { loadModelPackage, type ModelRunner } from '../models/runner';
import { verdictOf } from '../models/schema';
import { DomainError } from '../util/errors';
import { checkFolder } from '../util/folders';

export async function compareModels(
  a: ModelVersionDto,
  b: ModelVersionDto,
  folder: string,
  limit: number,
): Promise<ModelCompareResult> {
  const t0 = performance.now();
  const dir = await checkFolder(folder, 'The image folder');
  const files = (await fsp.readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && isImageFile(e.name) && !/_mask\.[^.]+$/i.test(e.name))
    .map((e) => e.name)
    .sort(naturalCompare);
  if (files.length === 0) throw new DomainError('invalid', `${dir} holds no images to compare on.`);
  const chosen = files.slice(0, limit);

  const runners: ModelRunner[] = [];
  try {
    for (const v of [a, b]) {
      try {
        runners.push(await loadModelPackage(v.path, { providerOrder: ['cpu'], intraOpNumThreads: 1 }));
      } catch (err) {
        throw new DomainError('conflict', `Version ${v.id} cannot be loaded: ${(err as Error).message}`);
      }
    }
    const rows: ModelCompareRow[] = [];
    const matrix: Record<string, number> = {};
    let agree = 0;
    for (const file of chosen) {
      const path = join(dir, file);
      const one = async (runner: ModelRunner, v: ModelVersionDto) => {
        const out = await runner.score(path);
        return { score: out.normScore, verdict: verdictOf(out.normScore, v.thresholds) };
      };
      try {
        const ra = await one(runners[0], a);
        const rb = await one(runners[1], b);
        const same = ra.verdict === rb.verdict;
        if (same) agree++;
        const key = `${ra.verdict}→${rb.verdict}`;
        matrix[key] = (matrix[key] ?? 0) + 1;
        rows.push({ file, a: ra, b: rb, error: null, agree: same });
      } catch (err) {
        rows.push({ file, a: null, b: null, error: (err as Error).message, agree: false });
      }
      // Let the live loop and other requests run between images.
      await new Promise((r) => setImmediate(r));
    }
    const scored = rows.filter((r) => r.error === null).length;
    return {
      folder: dir,
      a: { id: a.id, version: a.version, thresholds: a.thresholds },
      b: { id: b.id, version: b.version, thresholds: b.thresholds },
      rows,
      scored,
      agreement: scored ? agree / scored : 0,
      matrix,
      skipped: files.length - chosen.length,
      ms: Math.round(performance.now() - t0),
    };
  } finally {
    await Promise.all(runners.map((r) => r.release()));
  }
}
