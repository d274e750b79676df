// Cost of sealing and verifying inspection records: batch insert time with sealing + signed
// checkpoint, and a full verification of N rows (what `station audit verify` does).
// Run: npx tsx scripts/bench-records.ts [rows=200000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/main/storage/database';
import { InspectionRepository, type NewInspection } from '../src/main/storage/inspections';
import {
  attachSigningKey,
  loadOrCreateSigningKey,
  readSigningKey,
  SIGNING_KEY_FILE,
} from '../src/main/storage/checkpoints';
import { verifyStationChain } from '../src/main/storage/chain-verify';

const rows = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'bench-records-'));
const row = (i: number): NewInspection => ({
  at: new Date(Date.UTC(2025, 0, 1) + i * 100).toISOString(),
  source: 'replay:demo',
  frameId: `f${i}`,
  modelId: 'model-a',
  modelVersion: 1,
  rawScore: (i % 97) / 10,
  normScore: (i % 100) / 100,
  verdict: i % 5 === 4 ? 'FAIL' : 'PASS',
  latencyMs: 12.5,
  imageSha256: 'ab'.repeat(32),
  heatmapSha256: 'cd'.repeat(32),
});
try {
  const db = openDatabase(join(dir, 'station.db'));
  attachSigningKey(db, loadOrCreateSigningKey(dir));
  const repo = new InspectionRepository(db);
  const batchMs: number[] = [];
  for (let i = 0; i < rows; i += 50) {
    const batch = Array.from({ length: Math.min(50, rows - i) }, (_, k) => row(i + k));
    const t0 = performance.now();
    repo.insertMany(batch);
    batchMs.push(performance.now() - t0);
  }
  db.close();
  batchMs.sort((a, b) => a - b);
  const q = (p: number) => batchMs[Math.min(batchMs.length - 1, Math.floor(p * batchMs.length))].toFixed(2);
  const ro = new Database(join(dir, 'station.db'), { readonly: true });
  const t0 = performance.now();
  const v = verifyStationChain(ro, { publicKey: readSigningKey(join(dir, SIGNING_KEY_FILE)).publicKey });
  const verifyMs = performance.now() - t0;
  ro.close();
  console.log(
    JSON.stringify({
      rows,
      batchInsert50: { p50Ms: q(0.5), p95Ms: q(0.95), p99Ms: q(0.99) },
      verify: { ok: v.ok, checkedInspections: v.checkedInspections, ms: Math.round(verifyMs) },
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
