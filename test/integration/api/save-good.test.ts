// "Save as good" over both transports: the API names the inspection (never "the current frame"),
// copies exactly that part's stored image into good-candidates, refuses what must not become a
// good training image with a message in words, and audits the person, the screen and the reason.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationClient } from '@shared/api';
import type { Verdict } from '@shared/station';
import { InspectionRepository, type NewInspection } from '../../../src/main/storage/inspections';
import { httpHarness, ipcHarness, personClient, type Harness } from './harness';

const T0 = Date.parse('2025-05-06T07:00:00.000Z');

function suite(name: string, make: () => Promise<Harness>): void {
  describe(`save as good over ${name}`, () => {
    let h: Harness;
    let operator: StationClient;
    let qa: StationClient;
    const id: Record<string, number> = {};
    let fullBytes: Buffer;
    const folder = (): string => join(h.station.paths.root, 'good-candidates');

    beforeAll(async () => {
      h = await make();
      operator = await personClient(h, 'olga', 'operator');
      qa = await personClient(h, 'quinn', 'qa');
      fullBytes = await sharp({
        create: { width: 24, height: 16, channels: 3, background: { r: 10, g: 120, b: 30 } },
      })
        .jpeg()
        .toBuffer();
      const stored = await h.station.images.put(fullBytes, 'jpg');
      // A ref that has the right form but no file (deleted behind the station's back).
      const gone = `${'ab'}/${'ab'.padEnd(64, '0')}.jpg`;
      const row = (
        k: number,
        verdict: Verdict,
        image: string | null,
        extra: Partial<NewInspection> = {},
      ) => ({
        at: new Date(T0 + k * 1000).toISOString(),
        source: 'replay:/line',
        frameId: `s1:${k}`,
        modelId: 'm',
        modelVersion: 1,
        rawScore: 1,
        normScore: verdict === 'PASS' ? 0.4 : 1.7,
        verdict,
        latencyMs: 5,
        imageRef: image,
        imageSha256: image === stored.ref ? stored.sha256 : null,
        ...extra,
      });
      const names = ['review', 'passNotKept', 'evicted', 'goneFile', 'confirmed', 'diskFull'];
      const ids = new InspectionRepository(h.station.db).insertMany([
        row(0, 'REVIEW', stored.ref),
        row(1, 'PASS', null),
        row(2, 'PASS', stored.ref),
        row(3, 'FAIL', gone),
        row(4, 'FAIL', stored.ref),
        row(5, 'FAIL', null, { storeError: 'disk_full: no space left on device' }),
      ]);
      names.forEach((n, k) => (id[n] = ids[k]));
      new InspectionRepository(h.station.db).markRowEvicted(id.evicted, '2025-05-07T00:00:00.000Z');
      await qa.call('reviews.record', {
        inspectionId: id.confirmed,
        decision: 'defect_confirmed',
        defectType: 'scratch',
        reviewer: 'quinn',
      });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('copies exactly the chosen inspection’s image and audits who, from where and why', async () => {
      const saved = await operator.call('station.saveFrameAsGood', {
        inspectionId: id.review,
        from: 'review',
        reason: 'glare on the rim, part checked at the bench',
        actor: 'somebody-else',
      });
      expect(saved.inspectionId).toBe(id.review);
      expect(saved.original).toBe(false);
      expect(saved.path.startsWith(folder())).toBe(true);
      expect(saved.path).toMatch(new RegExp(`good_i${id.review}_.*\\.jpg$`));
      expect(readFileSync(saved.path).equals(fullBytes)).toBe(true);
      // No temp file is left for a folder watcher to pick up.
      expect(readdirSync(folder()).filter((f) => f.startsWith('.'))).toEqual([]);
      const audit = await h.client.call('audit.list', { limit: 20 });
      const row = audit.rows.find(
        (r) => r.action === 'training.add_good' && r.entity === `inspection:${id.review}`,
      );
      expect(row).toBeDefined();
      expect(row!.actor).toBe('olga');
      expect(row!.reason).toBe('glare on the rim, part checked at the bench');
      expect(JSON.parse(row!.newValue!)).toMatchObject({ path: saved.path, from: 'review', original: false });
      expect(JSON.parse(row!.oldValue!)).toMatchObject({ verdict: 'REVIEW' });
    });

    it('refuses a second copy of the same inspection', async () => {
      await expect(
        operator.call('station.saveFrameAsGood', {
          inspectionId: id.review,
          from: 'history',
          reason: 'again',
          actor: 'x',
        }),
      ).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/already saved as good/) });
    });

    it('refuses inspections whose image was not kept, saying why', async () => {
      const call = (inspectionId: number) =>
        operator.call('station.saveFrameAsGood', {
          inspectionId,
          from: 'history',
          reason: 'looks fine',
          actor: 'x',
        });
      await expect(call(id.passNotKept)).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/was not kept \(only every n-th PASS image is kept/),
      });
      await expect(call(id.evicted)).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/removed by retention at 2025-05-07/),
      });
      await expect(call(id.diskFull)).rejects.toMatchObject({
        message: expect.stringMatching(/not stored \(disk_full: no space left/),
      });
      await expect(call(id.goneFile)).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/no longer in the image store/),
      });
      await expect(call(id.confirmed)).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/confirmed as a defect by quinn/),
      });
      await expect(call(999_999)).rejects.toMatchObject({ code: 'not_found' });
      const names = existsSync(folder()) ? readdirSync(folder()) : [];
      for (const k of ['passNotKept', 'evicted', 'diskFull', 'goneFile', 'confirmed'])
        expect(names.some((n) => n.startsWith(`good_i${id[k]}_`))).toBe(false);
    });

    it('validates the request: an inspection id and a reason, not a frame id', async () => {
      await expect(
        operator.call('station.saveFrameAsGood', { frameId: 's1:1', actor: 'x' } as never),
      ).rejects.toMatchObject({ code: 'bad_request' });
      await expect(
        operator.call('station.saveFrameAsGood', {
          inspectionId: id.review,
          from: 'live',
          reason: '  ',
          actor: 'x',
        }),
      ).rejects.toMatchObject({ code: 'bad_request' });
      await expect(
        operator.call('station.saveFrameAsGood', { inspectionId: -3, from: 'live', reason: 'r', actor: 'x' }),
      ).rejects.toMatchObject({ code: 'bad_request' });
      const anonymous = await h.connect();
      await expect(
        anonymous.call('station.saveFrameAsGood', {
          inspectionId: id.review,
          from: 'live',
          reason: 'r',
          actor: 'x',
        }),
      ).rejects.toMatchObject({ code: 'forbidden' });
    });
  });
}

suite('HTTP', () => httpHarness());
suite('IPC', () => ipcHarness());
