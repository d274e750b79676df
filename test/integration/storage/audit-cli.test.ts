// `station audit verify` and `export-checkpoint` as a QA engineer runs them on a data directory:
// exit 0 on intact records, 1 naming the first bad row, its kind of damage and time window.
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/main/storage/database';
import { AuditTrail } from '../../../src/main/storage/audit-trail';
import { InspectionRepository } from '../../../src/main/storage/inspections';
import { attachSigningKey, loadOrCreateSigningKey } from '../../../src/main/storage/checkpoints';
import { inspection } from '../../unit/storage/helpers';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

async function station(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, ['src/main/cli.ts', ...args], { cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('station audit (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'station-audit-cli-'));
  const kept = join(mkdtempSync(join(tmpdir(), 'station-kept-')), 'checkpoint.json');
  beforeAll(() => {
    const db = openDatabase(join(dir, 'station.db'));
    attachSigningKey(db, loadOrCreateSigningKey(dir));
    const audit = new AuditTrail(db);
    const repo = new InspectionRepository(db);
    for (let b = 0; b < 4; b++) {
      repo.insertMany(Array.from({ length: 25 }, (_, i) => inspection(b * 25 + i)));
      audit.append({ actor: 'qa', action: 'settings.update', entity: `k${b}`, reason: 'test' });
    }
    db.close();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(kept, '..'), { recursive: true, force: true });
  });

  it('verifies intact records, exports the checkpoint, then names a changed verdict', async () => {
    const ok = await station(['audit', 'verify', '--data-dir', dir]);
    expect(ok.stdout).toMatch(/OK: 4 audit rows, 100 inspections verified/);
    expect(ok.code).toBe(0);

    const exp = await station(['audit', 'export-checkpoint', '--data-dir', dir, '--out', kept]);
    expect(exp.code).toBe(0);
    expect(existsSync(kept)).toBe(true);
    expect(JSON.parse(readFileSync(kept, 'utf8'))).toMatchObject({ format: 'station-checkpoint-export-v1' });
    expect((await station(['audit', 'verify', '--data-dir', dir, '--checkpoint', kept])).code).toBe(0);

    const db = new Database(join(dir, 'station.db'));
    db.exec('DROP TRIGGER inspections_sealed_columns');
    db.prepare(`UPDATE inspections SET verdict = 'PASS' WHERE id = 40`).run();
    db.close();
    const bad = await station(['audit', 'verify', '--data-dir', dir, '--checkpoint', kept]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/DAMAGED \(inspections \/ edited\)\. First bad inspection: 40\./);
    expect(bad.stdout).toMatch(/Time window: 2025-01-01T\S+ to 2025-01-01T\S+/);
  }, 180_000);

  it('exits 2 with a reason for a directory without a station or a bad checkpoint file', async () => {
    const none = await station(['audit', 'verify', '--data-dir', join(dir, 'nope')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/No station database/);
    const badFile = await station([
      'audit',
      'verify',
      '--data-dir',
      dir,
      '--checkpoint',
      join(dir, 'station.db'),
    ]);
    expect(badFile.code).toBe(2);
    expect(badFile.stderr).toMatch(/not JSON|not a station-checkpoint/);
  }, 120_000);
});
