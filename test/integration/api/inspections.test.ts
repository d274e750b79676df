// The QA API (history, histogram, what-if, yield, CSV, reviews, retraining candidates, images)
// over both transports, on a station seeded with rows and real image-store files; plus the
// headless-only GET routes: image serving (and its refusal of traversal) and the streamed CSV.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectionDto, StationClient } from '@shared/api';
import type { Verdict } from '@shared/station';
import { hashToken } from '../../../src/main/server/auth';
import { startHeadlessServer, type HeadlessServer } from '../../../src/main/server/http-server';
import { openStation, type Station } from '../../../src/main/station-services';
import { InspectionRepository, type NewInspection } from '../../../src/main/storage/inspections';
import { httpHarness, ipcHarness, personClient, tempDir, type Harness } from './harness';

const T0 = Date.parse('2025-03-04T08:00:00.000Z');
const MODEL_A = 'model-a';
const MODEL_B = 'model-b';

interface Seeded {
  ids: number[];
  rows: NewInspection[];
  imageRef: string;
  heatmapRef: string;
  imageBytes: Buffer;
}

/** 120 parts over two hours and two models; every 4th is FAIL, every 10th REVIEW. */
async function seed(station: Station): Promise<Seeded> {
  const imageBytes = await sharp({
    create: { width: 32, height: 32, channels: 3, background: { r: 90, g: 90, b: 90 } },
  })
    .jpeg()
    .toBuffer();
  const heatBytes = await sharp({
    create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 30, b: 10 } },
  })
    .png()
    .toBuffer();
  const image = await station.images.put(imageBytes, 'jpg');
  const heat = await station.images.put(heatBytes, 'png');
  const rows: NewInspection[] = [];
  for (let k = 0; k < 120; k++) {
    const verdict: Verdict = k % 4 === 0 ? 'FAIL' : k % 10 === 5 ? 'REVIEW' : 'PASS';
    const normScore = verdict === 'FAIL' ? 2 + (k % 7) / 10 : verdict === 'REVIEW' ? 1.2 : (k % 9) / 10;
    rows.push({
      at: new Date(T0 + k * 60_000).toISOString(),
      source: k % 2 ? 'replay:/line, "quoted"' : '=cmd|calc',
      frameId: `f${k}`,
      modelId: k < 60 ? MODEL_A : MODEL_B,
      modelVersion: k < 60 ? 1 : 2,
      rawScore: normScore * 2,
      normScore,
      verdict,
      latencyMs: 10 + k / 10,
      imageRef: image.ref,
      imageSha256: image.sha256,
      heatmapRef: heat.ref,
      heatmapSha256: heat.sha256,
    });
  }
  const ids = new InspectionRepository(station.db).insertMany(rows);
  return { ids, rows, imageRef: image.ref, heatmapRef: heat.ref, imageBytes };
}

async function allPages(
  client: StationClient,
  filter: Record<string, unknown>,
  limit = 7,
): Promise<InspectionDto[]> {
  const out: InspectionDto[] = [];
  let after: { at: string; id: number } | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await client.call('inspections.list', { filter, limit, ...(after ? { after } : {}) });
    out.push(...page.rows);
    if (!page.next) return out;
    after = page.next;
  }
  throw new Error('paging did not end');
}

function suite(name: string, make: () => Promise<Harness>): void {
  describe(`QA API over ${name}`, () => {
    let h: Harness;
    let s: Seeded;
    /** Signed in as QA "quinn": decisions are signed by the session, not by the request. */
    let qa: StationClient;
    beforeAll(async () => {
      h = await make();
      s = await seed(h.station);
      qa = await personClient(h, 'quinn', 'qa');
    });
    afterAll(async () => {
      await h?.close();
    });

    it('pages newest first with keyset cursors and applies every filter', async () => {
      const all = await allPages(h.client, {});
      expect(all.map((r) => r.id)).toEqual([...s.ids].reverse());
      const fails = await allPages(h.client, { verdicts: ['FAIL'], modelId: MODEL_B });
      expect(fails.length).toBe(s.rows.filter((r, k) => r.verdict === 'FAIL' && k >= 60).length);
      expect(fails.every((r) => r.verdict === 'FAIL' && r.modelId === MODEL_B)).toBe(true);
      // Time range in any ISO form (offsets included) compares as stored UTC.
      const window = await allPages(h.client, {
        from: '2025-03-04T09:10:00+01:00',
        to: '2025-03-04T08:20:00Z',
      });
      expect(window.map((r) => r.frameId).sort()).toEqual(
        Array.from({ length: 10 }, (_, k) => `f${k + 10}`).sort(),
      );
      const scored = await allPages(h.client, { minScore: 1, maxScore: 1.5 });
      expect(scored.every((r) => r.verdict === 'REVIEW')).toBe(true);
      expect(all[0]).toMatchObject({ imageRef: s.imageRef, heatmapRef: s.heatmapRef, review: null });
    });

    it('records review decisions with an audit row and an event, and filters on them', async () => {
      const failId = s.ids[8];
      const reviewId = s.ids[5];
      const recorded = new Promise<{ inspectionId: number }>((resolve) => {
        const off = h.client.on('review.recorded', (e) => {
          off();
          resolve(e);
        });
      });
      await new Promise((r) => setTimeout(r, 200));
      const a = await qa.call('reviews.record', {
        inspectionId: failId,
        decision: 'defect_confirmed',
        defectType: 'scratch',
        reviewer: 'Quinn',
      });
      expect(a.decision).toMatchObject({
        inspectionId: failId,
        decision: 'defect_confirmed',
        defectType: 'scratch',
        reviewer: 'quinn',
      });
      await expect(recorded).resolves.toMatchObject({ inspectionId: failId });
      const b = await qa.call('reviews.record', {
        inspectionId: reviewId,
        decision: 'false_alarm',
        reason: 'dust on the lens',
        reviewer: 'Quinn',
      });
      const audit = await h.client.call('audit.list', { limit: 5 });
      const row = audit.rows.find((r) => r.id === b.auditId)!;
      expect(row).toMatchObject({
        actor: 'quinn',
        action: 'review.decide',
        entity: `inspection:${reviewId}`,
        reason: 'dust on the lens',
      });
      expect(JSON.parse(row.newValue!)).toMatchObject({ decision: 'false_alarm' });
      expect((await h.client.call('audit.verify', {})).ok).toBe(true);

      const detail = await h.client.call('inspections.get', { id: reviewId });
      expect(detail.inspection.review).toMatchObject({ decision: 'false_alarm', reviewer: 'quinn' });
      expect(detail.decisions).toHaveLength(1);
      expect(await h.client.call('reviews.list', { inspectionId: failId })).toHaveLength(1);
      const reviewed = await allPages(h.client, { reviewed: true });
      expect(reviewed.map((r) => r.id).sort()).toEqual([failId, reviewId].sort());
      const open = await allPages(h.client, { reviewed: false, verdicts: ['FAIL', 'REVIEW'] });
      expect(open.some((r) => r.id === failId || r.id === reviewId)).toBe(false);
    });

    it('decides a part once; a second decision must be an explicit, audited change with a reason', async () => {
      // The last FAIL part; no other test here decides it.
      const id = s.ids[s.rows.map((r) => r.verdict).lastIndexOf('FAIL')];
      await qa.call('reviews.record', { inspectionId: id, decision: 'defect_confirmed', reviewer: 'x' });
      // Pressing D again (the item may have left the queue on screen) records nothing more.
      await expect(
        qa.call('reviews.record', { inspectionId: id, decision: 'defect_confirmed', reviewer: 'x' }),
      ).rejects.toMatchObject({ code: 'conflict' });
      await expect(
        qa.call('reviews.record', {
          inspectionId: id,
          decision: 'false_alarm',
          reason: 'fine',
          reviewer: 'x',
        }),
      ).rejects.toThrow(/already decided \(defect confirmed by quinn/);
      expect(await qa.call('reviews.list', { inspectionId: id })).toHaveLength(1);
      await expect(
        qa.call('reviews.record', {
          inspectionId: id,
          decision: 'false_alarm',
          reason: 'fine',
          reviewer: 'x',
          change: { reason: '' },
        }),
      ).rejects.toMatchObject({ code: 'bad_request' });
      const changed = await qa.call('reviews.record', {
        inspectionId: id,
        decision: 'defect_confirmed',
        defectType: 'crack',
        reviewer: 'x',
        change: { reason: 'checked the part again under the lamp' },
      });
      expect(changed.decision).toMatchObject({
        decision: 'defect_confirmed',
        defectType: 'crack',
        reviewer: 'quinn',
      });
      expect(await qa.call('reviews.list', { inspectionId: id })).toHaveLength(2);
      const row = (await h.client.call('audit.list', { limit: 5 })).rows.find(
        (r) => r.action === 'review.change',
      );
      expect(row).toMatchObject({ actor: 'quinn', reason: 'checked the part again under the lamp' });
      expect(JSON.parse(row!.oldValue!)).toMatchObject({ decision: 'defect_confirmed', reviewer: 'quinn' });
      expect(JSON.parse(row!.newValue!)).toMatchObject({ decision: 'defect_confirmed', defectType: 'crack' });
    });

    it('refuses bad decisions', async () => {
      const bad = [
        qa.call('reviews.record', {
          inspectionId: s.ids[8],
          decision: 'false_alarm',
          reviewer: 'Quinn',
        }),
        qa.call('reviews.record', {
          inspectionId: s.ids[8],
          decision: 'false_alarm',
          reason: '  ',
          reviewer: 'Quinn',
        }),
        // PASS parts are not reviewed.
        qa.call('reviews.record', {
          inspectionId: s.ids[1],
          decision: 'defect_confirmed',
          reviewer: 'Quinn',
        }),
        // @ts-expect-error not a decision
        qa.call('reviews.record', { inspectionId: s.ids[8], decision: 'maybe', reviewer: 'Quinn' }),
        h.client.call('inspections.list', { filter: { from: 'yesterday-ish' } }),
        h.client.call('inspections.whatIf', { t1: 2, t2: 1 }),
      ];
      for (const attempt of bad) await expect(attempt).rejects.toMatchObject({ code: 'bad_request' });
      await expect(
        qa.call('reviews.record', {
          inspectionId: 999_999,
          decision: 'defect_confirmed',
          reviewer: 'Q',
        }),
      ).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(h.client.call('inspections.get', { id: 999_999 })).rejects.toMatchObject({
        code: 'not_found',
      });
    });

    it('bins the histogram in SQL and re-judges exactly for what-if', async () => {
      const hist = await h.client.call('inspections.histogram', { bins: 20, include: [1, 1.5] });
      const sum = hist.bins.reduce((a, b) => a + b.pass + b.review + b.fail, 0);
      expect(sum).toBe(120);
      expect(hist.total).toBe(120);
      expect(hist.counts).toEqual({
        pass: s.rows.filter((r) => r.verdict === 'PASS').length,
        review: s.rows.filter((r) => r.verdict === 'REVIEW').length,
        fail: s.rows.filter((r) => r.verdict === 'FAIL').length,
      });
      expect(hist.lo).toBeLessThanOrEqual(0);
      expect(hist.hi).toBeGreaterThanOrEqual(2.6);
      const clipped = await h.client.call('inspections.histogram', { bins: 10, max: 2.1 });
      expect(clipped.hi).toBeCloseTo(2.1);
      expect(clipped.bins.reduce((a, b) => a + b.fail, 0)).toBe(hist.counts.fail);

      // Scores of two models are on different scales: one pair of thresholds never covers both.
      await expect(h.client.call('inspections.whatIf', { t1: 1, t2: 1.5 })).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/parts of 2 models \(model-[ab], model-[ab]\)/),
      });
      const same = await h.client.call('inspections.whatIf', {
        t1: 1,
        t2: 1.5,
        filter: { modelId: MODEL_B },
      });
      expect(same.modelId).toBe(MODEL_B);
      expect(same.total).toBe(60);
      expect(same.changed).toBe(0);
      expect(same.wouldBe).toEqual(same.recorded);
      const strict = await h.client.call('inspections.whatIf', {
        t1: 0.5,
        t2: 1.1,
        filter: { modelId: MODEL_A },
      });
      const a = s.rows.filter((r) => r.modelId === MODEL_A);
      const judge = (x: number) => (x < 0.5 ? 'PASS' : x < 1.1 ? 'REVIEW' : 'FAIL');
      expect(strict.total).toBe(a.length);
      expect(strict.wouldBe.pass).toBe(a.filter((r) => judge(r.normScore) === 'PASS').length);
      expect(strict.wouldBe.review).toBe(a.filter((r) => judge(r.normScore) === 'REVIEW').length);
      expect(strict.wouldBe.fail).toBe(a.filter((r) => judge(r.normScore) === 'FAIL').length);
      expect(strict.changed).toBe(a.filter((r) => judge(r.normScore) !== r.verdict).length);
    });

    it('counts yield per hour and per minute', async () => {
      const hourly = await h.client.call('inspections.yieldOverTime', { bucket: 'hour' });
      expect(hourly.buckets.map((b) => b.start)).toEqual([
        '2025-03-04T08:00:00.000Z',
        '2025-03-04T09:00:00.000Z',
      ]);
      expect(hourly.buckets.reduce((n, b) => n + b.pass + b.review + b.fail, 0)).toBe(120);
      const auto = await h.client.call('inspections.yieldOverTime', { filter: { verdicts: ['FAIL'] } });
      expect(auto.bucket).toBe('minute');
      expect(auto.buckets.every((b) => b.pass === 0 && b.review === 0 && b.fail === 1)).toBe(true);
      expect(await h.client.call('inspections.models', {})).toEqual([
        expect.objectContaining({ modelId: MODEL_B, latestVersion: 2, inspections: 60 }),
        expect.objectContaining({ modelId: MODEL_A, latestVersion: 1, inspections: 60 }),
      ]);
    });

    it('exports CSV in keyset chunks that match the filter, formula-safe', async () => {
      const filter = { verdicts: ['FAIL', 'REVIEW'] as Verdict[] };
      let csv = '';
      let after: { at: string; id: number } | undefined;
      for (;;) {
        const chunk = await h.client.call('inspections.exportCsv', {
          filter,
          limit: 9,
          ...(after ? { after } : {}),
        });
        csv += chunk.csv;
        if (!chunk.next) break;
        after = chunk.next;
      }
      const lines = csv.trimEnd().split('\r\n');
      expect(lines[0]).toMatch(/^id,at,verdict,norm_score/);
      const expected = (await allPages(h.client, filter)).map((r) => r.id);
      expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(expected);
      // Fields with commas/quotes are quoted; a leading "=" cannot become a spreadsheet formula.
      expect(csv).toContain('"replay:/line, ""quoted"""');
      expect(csv).toContain(",'=cmd|calc,");
      expect(csv).not.toMatch(/,=cmd/);
    });

    it('serves image-store files by ref and refuses anything else', async () => {
      const img = await h.client.call('images.get', { ref: s.imageRef });
      expect(img.mime).toBe('image/jpeg');
      expect(Buffer.from(img.base64, 'base64').equals(s.imageBytes)).toBe(true);
      for (const ref of [
        '../station.db',
        '/etc/passwd',
        `${s.imageRef}/../../station.db`,
        'ab/cd.jpg',
        s.imageRef.toUpperCase(),
      ]) {
        await expect(h.client.call('images.get', { ref })).rejects.toMatchObject({ code: 'bad_request' });
      }
      const missing = `${'0'.repeat(2)}/${'0'.repeat(64)}.jpg`;
      await expect(h.client.call('images.get', { ref: missing })).rejects.toMatchObject({
        code: 'not_found',
      });
    });

    it('lists false alarms as retraining candidates and copies them once', async () => {
      const list = await h.client.call('candidates.list', {});
      expect(list.total).toBe(1);
      expect(list.rows[0]).toMatchObject({
        inspectionId: s.ids[5],
        reason: 'dust on the lens',
        exportedAs: null,
      });
      const first = await qa.call('candidates.export', { actor: 'Quinn' });
      expect(first).toMatchObject({ copied: 1, alreadyThere: 0, missingImage: 0 });
      expect(first.folder).toBe(join(h.station.paths.root, 'good-candidates'));
      const files = readdirSync(first.folder).filter((f) => !f.startsWith('.'));
      expect(files).toHaveLength(1);
      expect(readFileSync(join(first.folder, files[0])).equals(s.imageBytes)).toBe(true);
      const again = await qa.call('candidates.export', { actor: 'Quinn' });
      expect(again).toMatchObject({ copied: 0, alreadyThere: 1 });
      expect((await h.client.call('candidates.list', {})).rows[0].exportedAs).toBe(files[0]);
      // A later "defect confirmed" on the same part takes it off the candidate list.
      await qa.call('reviews.record', {
        inspectionId: s.ids[5],
        decision: 'defect_confirmed',
        reviewer: 'Lead',
        change: { reason: 'second look: hairline crack under the dust' },
      });
      expect((await h.client.call('candidates.list', {})).total).toBe(0);
      const audit = await h.client.call('audit.list', { limit: 10 });
      expect(audit.rows.some((r) => r.action === 'training.export_candidates' && r.actor === 'quinn')).toBe(
        true,
      );
    });
  });
}

suite('HTTP + WebSocket', httpHarness);
suite('Electron IPC', ipcHarness);

describe('headless GET routes: images and CSV', () => {
  let station: Station;
  let server: HeadlessServer;
  let s: Seeded;
  const token = 'route-token-0123456789abcdef';
  const auth = { authorization: `Bearer ${token}` };
  beforeAll(async () => {
    station = await openStation({ dataDir: tempDir('routes-'), mode: 'headless', usb: false });
    s = await seed(station);
    server = await startHeadlessServer({
      handlers: station.handlers,
      events: station.events,
      staticDir: tempDir('routes-static-'),
      host: '127.0.0.1',
      port: 0,
      tokenHash: hashToken(token),
      files: {
        readImage: (ref) => station.readImage(ref),
        csvLines: (filter) => station.reads.csvLines(filter),
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await station?.close();
  });

  /** Raw request: fetch would normalise "..", which is exactly what must be tested here. */
  const raw = (path: string, headers: Record<string, string> = auth) =>
    new Promise<{ status: number; body: Buffer; type: string }>((resolve, reject) => {
      const u = new URL(server.url);
      const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks),
            type: String(res.headers['content-type']),
          }),
        );
      });
      req.on('error', reject);
      req.end();
    });

  it('serves a stored image by ref, with the API token', async () => {
    const ok = await raw(`/api/images/${s.imageRef}`);
    expect(ok.status).toBe(200);
    expect(ok.type).toBe('image/jpeg');
    expect(ok.body.equals(s.imageBytes)).toBe(true);
    expect((await raw(`/api/images/${s.imageRef}`, {})).status).toBe(401);
  });

  it('refuses traversal and anything that is not a ref, never leaking files', async () => {
    const db = readFileSync(station.paths.database);
    const attempts = [
      '/api/images/..%2fstation.db',
      '/api/images/..%2F..%2Fstation.db',
      '/api/images/%2e%2e/%2e%2e/station.db',
      '/api/images/../station.db',
      `/api/images/${s.imageRef.slice(0, 3)}..%2f..%2fstation.db`,
      `/api/images/${s.imageRef}%00.png`,
      '/api/images/%2fetc%2fpasswd',
      '/api/images/..%5c..%5cstation.db',
      '/api/images/%zz',
    ];
    for (const path of attempts) {
      const res = await raw(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.body.includes(db.subarray(0, 16)), path).toBe(false);
      expect(res.body.toString()).not.toContain('root:');
    }
    expect((await raw('/api/images/00/' + '0'.repeat(64) + '.jpg')).status).toBe(404);
    expect(existsSync(station.paths.database)).toBe(true);
  });

  it('streams a CSV that matches the filter and refuses a bad filter', async () => {
    const res = await raw('/api/export/inspections.csv?verdicts=FAIL&modelId=model-a&minScore=2.3');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/csv/);
    const lines = res.body.toString().trimEnd().split('\r\n');
    const expected = s.rows
      .map((r, k) => ({ r, id: s.ids[k] }))
      .filter(({ r }) => r.verdict === 'FAIL' && r.modelId === MODEL_A && r.normScore >= 2.3)
      .map(({ id }) => id)
      .reverse();
    expect(expected.length).toBeGreaterThan(0);
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(expected);
    expect((await raw('/api/export/inspections.csv?verdicts=MAYBE')).status).toBe(400);
    expect((await raw('/api/export/inspections.csv?minScore=abc')).status).toBe(400);
    expect((await raw('/api/export/inspections.csv', {})).status).toBe(401);
  });
});
