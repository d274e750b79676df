import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveInspectionAsGood, type SaveGoodInput } from '../../../src/main/station/save-good';

const dir = mkdtempSync(join(tmpdir(), 'save-good-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inspection = (over: Partial<SaveGoodInput['inspection']> = {}): SaveGoodInput['inspection'] => ({
  id: 7,
  at: '2025-01-02T03:04:05.678Z',
  verdict: 'REVIEW',
  imageRef: 'aa/' + 'a'.repeat(64) + '.jpg',
  evictedAt: null,
  storeError: null,
  review: null,
  ...over,
});

describe('saveInspectionAsGood', () => {
  it('prefers the original frame the station still holds over the stored JPEG', async () => {
    const original = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    let readStored = 0;
    const out = await saveInspectionAsGood({
      inspection: inspection(),
      held: { data: original, ext: 'png' },
      readStored: async () => {
        readStored++;
        return new Uint8Array([1]);
      },
      folder: join(dir, 'a'),
    });
    expect(out.original).toBe(true);
    expect(out.path).toBe(join(dir, 'a', 'good_i7_2025-01-02T03-04-05-678Z.png'));
    expect(new Uint8Array(readFileSync(out.path))).toEqual(original);
    expect(readStored).toBe(0);
  });

  it('falls back to the stored copy with the store’s extension', async () => {
    const out = await saveInspectionAsGood({
      inspection: inspection({ id: 8 }),
      held: null,
      readStored: async () => new Uint8Array([9, 9]),
      folder: join(dir, 'b'),
    });
    expect(out).toMatchObject({ original: false });
    expect(out.path.endsWith('.jpg')).toBe(true);
  });

  it('refuses a part QA confirmed as a defect even while its frame is held', async () => {
    await expect(
      saveInspectionAsGood({
        inspection: inspection({
          review: {
            decision: 'defect_confirmed',
            reviewer: 'quinn',
            decidedAt: '2025-01-02T04:00:00.000Z',
            defectType: null,
            reason: null,
          },
        }),
        held: { data: new Uint8Array([1]), ext: 'png' },
        readStored: async () => new Uint8Array([1]),
        folder: join(dir, 'c'),
      }),
    ).rejects.toMatchObject({ kind: 'conflict', message: expect.stringMatching(/confirmed as a defect/) });
  });

  it('refuses a part whose image was not kept, even while its frame is held (no preview to confirm)', async () => {
    await expect(
      saveInspectionAsGood({
        inspection: inspection({ imageRef: null, verdict: 'PASS' }),
        held: { data: new Uint8Array([1]), ext: 'png' },
        readStored: async () => new Uint8Array([1]),
        folder: join(dir, 'd'),
      }),
    ).rejects.toMatchObject({ kind: 'conflict', message: expect.stringMatching(/was not kept/) });
  });
});
