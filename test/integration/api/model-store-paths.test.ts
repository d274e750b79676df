// Issue 13 "also seen": a copied data dir kept the original's absolute model paths (so the copy
// ran the original's models, or none once the original was gone), and importing a model whose
// input is 100000 pixels wide failed with "Invalid typed array length".
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStation } from '../../../src/main/station-services';
import { anomalibLikeOnnx, writeAnomalibPackage } from '../wizard/helpers';
import { tempDir } from './harness';

const open = (dataDir: string) => openStation({ dataDir, mode: 'headless', usb: false });

describe('model paths in the data directory', () => {
  it('stores model paths relative to the data dir, so a copy uses its own models', async () => {
    const original = tempDir('models-orig-');
    const pkg = writeAnomalibPackage(join(tempDir('models-src-'), 'vendor'), {
      metadata: { image_threshold: 0.6, pred_scores: { min: 0, max: 1 } },
    });
    const a = await open(original);
    const imported = await a.handlers['models.import']({ path: pkg, actor: 'qa', reason: 'path test' });
    expect(imported.path.startsWith(original)).toBe(true);
    const stored = a.db.prepare('SELECT path FROM models WHERE id = ?').get(imported.id) as { path: string };
    expect(stored.path).toBe(`models/${imported.id}`);
    await a.close();

    const copy = join(tempDir('models-copy-'), 'data');
    cpSync(original, copy, { recursive: true });
    const b = await open(copy);
    const seen = b.models.get(imported.id)!;
    // The original still exists, and still the copy must use its own files.
    expect(seen.path).toBe(join(copy, 'models', imported.id));
    expect(b.models.findByPath(join(copy, 'models', imported.id))?.id).toBe(imported.id);
    await b.close();
  });

  it('maps absolute paths written by older versions into the data dir it is opened from', async () => {
    const original = tempDir('models-legacy-');
    const a = await open(original);
    const pkg = writeAnomalibPackage(join(tempDir('models-src-'), 'vendor'), {
      metadata: { image_threshold: 0.6, pred_scores: { min: 0, max: 1 } },
    });
    const imported = await a.handlers['models.import']({ path: pkg, actor: 'qa', reason: 'legacy test' });
    // What the old code wrote: the absolute path of the original data dir.
    a.db
      .prepare('UPDATE models SET path = ? WHERE id = ?')
      .run(join(original, 'models', imported.id), imported.id);
    await a.close();

    const copy = join(tempDir('models-legacy-copy-'), 'data');
    cpSync(original, copy, { recursive: true });
    const b = await open(copy);
    expect(b.models.get(imported.id)!.path).toBe(join(copy, 'models', imported.id));
    await b.close();

    // A path outside any data dir that does not exist here is left as it was (and reported
    // missing by whoever loads it), never guessed into something else.
    const c = await open(original);
    c.db.prepare('UPDATE models SET path = ? WHERE id = ?').run('/nowhere/at/all/x', imported.id);
    expect(c.models.get(imported.id)!.path).toBe('/nowhere/at/all/x');
    await c.close();
  });
});

describe('model import limits', () => {
  it('says in words that a 100000-pixel-wide input is too large', async () => {
    const s = await open(tempDir('models-huge-'));
    const dir = join(tempDir('models-huge-src-'), 'huge');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.onnx'), anomalibLikeOnnx(100000));
    const err = await Promise.resolve(
      s.handlers['models.import']({ path: dir, actor: 'qa', reason: 'hostile import' }),
    ).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/input size is 100000×100000 pixels; each side must be between 1 and 4096/);
    expect(err?.message).not.toMatch(/typed array/i);
    expect(s.models.list()).toHaveLength(0);
    await s.close();
  });
});
