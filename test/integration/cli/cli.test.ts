// The `station` CLI as a user runs it (`npm run station -- …` = tsx src/main/cli.ts): fit a
// package from generated good parts, then predict on good and defective parts.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderPart } from '../../../src/main/demo/generate';
import { encodePng } from '../../../src/main/imaging/encode';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

async function station(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, ['src/main/cli.ts', ...args], { cwd: ROOT, timeout: 240_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function writePart(
  path: string,
  seed: number,
  defect: Parameters<typeof renderPart>[1],
): Promise<void> {
  const part = renderPart(seed, defect, 256);
  writeFileSync(
    path,
    await encodePng({ width: part.width, height: part.height, channels: 3, data: part.data }),
  );
}

describe('station CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'station-cli-'));
  const good = join(dir, 'good');
  const line = join(dir, 'line');
  const pkg = join(dir, 'pkg');
  beforeAll(async () => {
    mkdirSync(good);
    mkdirSync(line);
    for (let i = 0; i < 24; i++) await writePart(join(good, `g${i}.png`), 1000 + i, null);
    for (let i = 0; i < 4; i++) await writePart(join(line, `good${i}.png`), 5000 + i, null);
    await writePart(join(line, 'scratch.png'), 6001, 'scratch');
    await writePart(join(line, 'missing_hole.png'), 6002, 'missing_hole');
    writeFileSync(join(line, 'corrupt.png'), Buffer.from('not an image'));
  });

  it('lists its commands', async () => {
    const r = await station(['help']);
    expect(r.code).toBe(0);
    for (const c of ['fit', 'eval', 'predict', 'models', 'bench']) expect(r.stdout).toContain(c);
  });

  it('refuses unknown commands and options with a usage message', async () => {
    expect((await station(['frobnicate'])).code).toBe(2);
    const bad = await station(['fit', '--data', good, '--out', pkg, '--preset', 'turbo']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--preset must be one of fast, accurate/);
  });

  it('fits a package, then predicts with verdicts, overlays and a clear error for a corrupt file', async () => {
    const fit = await station(['fit', '--data', good, '--out', pkg, '--data-dir', join(dir, 'data')]);
    expect(fit.stderr + fit.stdout).toMatch(/Fitted patchcore on 24 images/);
    expect(fit.code).toBe(0);
    expect(existsSync(join(pkg, 'model.onnx'))).toBe(true);
    expect(JSON.parse(readFileSync(join(pkg, 'model.json'), 'utf8')).method).toBe('patchcore');

    const out = join(dir, 'pred');
    const pred = await station(['predict', '--model', pkg, '--out', out, line]);
    // One corrupt input: reported, the others scored, exit code 1 so scripts notice.
    expect(pred.code).toBe(1);
    expect(pred.stderr).toMatch(/corrupt\.png/);
    const rows = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(6);
    const verdict = (name: string) => rows.find((r) => r.includes(name))!.split(',')[3];
    expect(verdict('scratch.png')).not.toBe('PASS');
    expect(verdict('missing_hole.png')).not.toBe('PASS');
    const goodPass = rows.filter((r) => /good\d\.png/.test(r) && r.split(',')[3] === 'PASS').length;
    expect(goodPass).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(out, 'scratch.overlay.png'))).toBe(true);
  });

  it('says clearly when the model package is missing', async () => {
    const r = await station(['predict', '--model', join(dir, 'nope'), '--out', join(dir, 'x'), line]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model folder .*nope does not exist/);
  });
});
