// Products (recipes) and traceability over both transports: create, deploy per product with the
// mismatch check, switch (signed, audited, new run), product/run/file name on every inspection,
// the sealed chain over them, CSV columns, and what-if never mixing models.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectionDto, StationClient } from '@shared/api';
import { verifyStationChain } from '../../../src/main/storage/chain-verify';
import { readSigningKey, SIGNING_KEY_FILE } from '../../../src/main/storage/checkpoints';
import { writeAnomalibPackage, writeParts } from '../wizard/helpers';
import { ADMIN_PASSWORD, httpHarness, ipcHarness, personClient, tempDir, type Harness } from './harness';

const signed = <T extends object>(req: T): T => ({ ...req, signature: ADMIN_PASSWORD }) as T;

async function importModel(h: Harness, name: string): Promise<string> {
  const pkg = writeAnomalibPackage(join(tempDir('products-pkg-'), name), {
    metadata: { image_threshold: 0.6, pred_scores: { min: 0, max: 1 } },
  });
  const v = await h.client.call('models.import', { path: pkg, name, actor: 'x', reason: 'test model' });
  return v.id;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>): Promise<T> {
  const end = Date.now() + 20_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function productsSuite(name: string, make: () => Promise<Harness>): void {
  describe(`products and traceability over ${name}`, () => {
    let h: Harness;
    let plate: string;
    let bottle: string;
    let folder: string;
    let operator: StationClient;
    beforeAll(async () => {
      h = await make();
      plate = await importModel(h, 'plate');
      bottle = await importModel(h, 'bottle');
      // The bottle model was trained for another product on other images.
      h.station.models.updateMeta(bottle, {
        productId: 'bottle-500',
        training: { goodDir: '/data/bottles/good', defectDir: null, imageCount: 200, calibrationCount: 20 },
      });
      h.station.models.updateMeta(plate, {
        training: { goodDir: '/data/plates/good', defectDir: null, imageCount: 200, calibrationCount: 20 },
      });
      folder = join(tempDir('products-line-'), 'line');
      mkdirSync(folder);
      await writeParts(folder, 6, { seed: 3, size: 64 });
      operator = await personClient(h, 'otto', 'operator');
    }, 60_000);
    afterAll(async () => {
      await h.close();
    });

    it('creates products (validated, audited) and refuses bad recipes in words', async () => {
      const p = await h.client.call('products.create', {
        name: 'Plate A',
        source: { kind: 'replay', folder, fps: 0, loop: false },
        actor: 'x',
        reason: 'new product',
      });
      expect(p).toMatchObject({ id: 'plate-a', name: 'Plate A', modelId: null, active: false });
      await h.client.call('products.create', {
        name: 'Bottle 500',
        id: 'bottle-500',
        actor: 'x',
        reason: 'r',
      });
      await expect(
        h.client.call('products.create', { name: 'plate a', actor: 'x', reason: 'r' }),
      ).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/exists already/) });
      await expect(
        h.client.call('products.create', {
          name: 'Bad source',
          source: { kind: 'replay' },
          actor: 'x',
          reason: 'r',
        }),
      ).rejects.toMatchObject({
        code: 'bad_request',
        message: expect.stringMatching(/Invalid source: folder/),
      });
      await expect(
        h.client.call('products.create', {
          name: 'Bad outputs',
          outputs: { verdicts: { FAIL: [{ type: 'relay', device: 'nope', relay: 1, mode: 'on' }] } },
          actor: 'x',
          reason: 'r',
        }),
      ).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/unknown device/) });
      await expect(
        h.client.call('products.create', {
          name: 'Bad T',
          thresholds: { t1: 2, t2: 1 },
          actor: 'x',
          reason: 'r',
        }),
      ).rejects.toMatchObject({ code: 'bad_request' });
      const audit = await h.client.call('audit.list', { limit: 50 });
      expect(
        audit.rows.find((r) => r.action === 'products.create' && r.entity === 'product:plate-a'),
      ).toMatchObject({ actor: 'admin', reason: 'new product' });
    });

    it('deploys per product: signed, engineer only, and a mismatching model needs accepting', async () => {
      await expect(
        h.client.call('products.deploy', { id: 'plate-a', modelId: plate, actor: 'x', reason: 'r' }),
      ).rejects.toThrow(/enter your password again/);
      await expect(
        operator.call('products.deploy', signed({ id: 'plate-a', modelId: plate, actor: 'x', reason: 'r' })),
      ).rejects.toMatchObject({ code: 'forbidden' });
      const first = await h.client.call('products.check', { id: 'plate-a', modelId: plate });
      expect(first.warnings).toEqual([expect.objectContaining({ level: 'info', code: 'unverified' })]);
      const p = await h.client.call(
        'products.deploy',
        signed({ id: 'plate-a', modelId: plate, actor: 'x', reason: 'first model' }),
      );
      expect(p.modelId).toBe(plate);

      const check = await h.client.call('products.check', { id: 'plate-a', modelId: bottle });
      expect(check.warnings.map((w) => w.code).sort()).toEqual(['other_product', 'training_set']);
      expect(check.warnings[0].message).toMatch(/trained for product "Bottle 500"/);
      await expect(
        h.client.call('products.deploy', signed({ id: 'plate-a', modelId: bottle, actor: 'x', reason: 'r' })),
      ).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/may not fit product "Plate A"/),
      });
      expect((await h.client.call('products.get', { id: 'plate-a' })).product.modelId).toBe(plate);
    });

    it('switches the line to a product (signed, audited) and records it on every inspection', async () => {
      await expect(
        operator.call('products.activate', { id: 'plate-a', actor: 'x', reason: 'r' }),
      ).rejects.toThrow(/enter your password again/);
      await expect(
        operator.call('products.activate', {
          id: 'bottle-500',
          actor: 'x',
          reason: 'r',
          signature: 'otto-password',
        } as never),
      ).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/has no model yet/) });
      const list = await operator.call('products.activate', {
        id: 'plate-a',
        actor: 'x',
        reason: 'shift change',
        signature: 'otto-password',
      } as never);
      expect(list.activeId).toBe('plate-a');
      const state = await h.client.call('station.state', {});
      expect(state.product).toEqual({ id: 'plate-a', name: 'Plate A' });
      expect(state.model?.id).toBe(plate);
      const audit = await h.client.call('audit.list', { limit: 50 });
      expect(audit.rows.find((r) => r.action === 'products.activate')).toMatchObject({
        actor: 'otto',
        reason: 'shift change',
        entity: 'product:plate-a',
      });

      const run1 = await h.client.call('station.start', { actor: 'x', reason: 'go' });
      expect(run1.run?.id).toBeGreaterThan(0);
      const rows = await waitFor('six inspections', async () => {
        const page = await h.client.call('inspections.list', { filter: { runId: run1.run!.id } });
        return page.rows.length >= 6 ? page.rows : null;
      });
      await h.client.call('station.stop', {});
      for (const r of rows as InspectionDto[]) {
        expect(r).toMatchObject({ productId: 'plate-a', runId: run1.run!.id, modelId: plate });
        expect(r.sourceRef).toMatch(/^part_00\d\.png$/);
      }
      const run2 = await h.client.call('station.start', {});
      await h.client.call('station.stop', {});
      expect(run2.run!.id).toBeGreaterThan(run1.run!.id);

      const byProduct = await h.client.call('inspections.list', {
        filter: { productId: 'plate-a' },
        limit: 500,
      });
      expect(byProduct.rows.length).toBeGreaterThanOrEqual(6);

      const csv = await h.client.call('inspections.exportCsv', { filter: { runId: run1.run!.id } });
      const [head, line] = csv.csv.trimEnd().split('\r\n');
      const cols = head.split(',');
      for (const c of ['review_decision', 'review_reason', 'reviewer', 'product_id', 'run_id', 'source_ref'])
        expect(cols).toContain(c);
      const cells = line.split(',');
      expect(cells[cols.indexOf('product_id')]).toBe('plate-a');
      expect(cells[cols.indexOf('run_id')]).toBe(String(run1.run!.id));
      expect(cells[cols.indexOf('source_ref')]).toMatch(/^part_00\d\.png$/);

      const key = readSigningKey(join(h.station.paths.root, SIGNING_KEY_FILE)).publicKey;
      expect(verifyStationChain(h.station.db, { publicKey: key })).toMatchObject({ ok: true });
    }, 60_000);

    it('deploying while a product is selected goes through the product check', async () => {
      await expect(
        h.client.call('models.deploy', signed({ id: bottle, actor: 'x', reason: 'oops' })),
      ).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/trained for product/) });
      expect((await h.client.call('station.state', {})).model?.id).toBe(plate);
      await h.client.call(
        'models.deploy',
        signed({ id: bottle, acknowledgeMismatch: true, actor: 'x', reason: 'trial, accepted' }),
      );
      const detail = await h.client.call('products.get', { id: 'plate-a' });
      expect(detail.product.modelId).toBe(bottle);
      expect(detail.deployments[0]).toMatchObject({ modelId: bottle, deployedBy: 'admin' });
      expect(detail.deployments[0].warnings.some((w) => w.code === 'other_product')).toBe(true);
      // Back to the plate model: the product's history knows it, so no warning.
      await h.client.call('models.rollback', signed({ actor: 'x', reason: 'back' }));
      expect((await h.client.call('products.get', { id: 'plate-a' })).product.modelId).toBe(plate);
    });

    it('keeps thresholds with the product and its model; what-if never mixes models', async () => {
      await h.client.call('station.setThresholds', signed({ t1: 0.3, t2: 0.7, actor: 'x', reason: 'tune' }));
      expect((await h.client.call('products.get', { id: 'plate-a' })).product.thresholds).toEqual({
        t1: 0.3,
        t2: 0.7,
      });
      await expect(
        h.client.call(
          'station.setThresholds',
          signed({ t1: 0.2, t2: 0.6, modelId: bottle, actor: 'x', reason: 'from history' }),
        ),
      ).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/chosen for/) });
      const one = await h.client.call('inspections.whatIf', { filter: { modelId: plate }, t1: 0.1, t2: 0.2 });
      expect(one.modelId).toBe(plate);
      expect(one.total).toBeGreaterThan(0);
      // Rows of a second model make "all models" ambiguous.
      await h.client.call(
        'products.deploy',
        signed({ id: 'plate-a', modelId: bottle, acknowledgeMismatch: true, actor: 'x', reason: 'r' }),
      );
      const run = await h.client.call('station.start', {});
      await waitFor('a bottle-model row', async () => {
        const p = await h.client.call('inspections.list', { filter: { runId: run.run!.id } });
        return p.rows.length > 0;
      });
      await h.client.call('station.stop', {});
      await expect(h.client.call('inspections.whatIf', { t1: 0.1, t2: 0.2 })).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/one model's thresholds/),
      });
      // A new model dropped the product's thresholds (they were chosen on the old model's scores).
      expect((await h.client.call('products.get', { id: 'plate-a' })).product.thresholds).toBeNull();
    }, 60_000);

    it("restores each product's thresholds on switching, never another product's", async () => {
      await h.client.call('products.create', { name: 'Plate B', actor: 'x', reason: 'r' });
      await h.client.call(
        'products.deploy',
        signed({ id: 'plate-b', modelId: bottle, acknowledgeMismatch: true, actor: 'x', reason: 'r' }),
      );
      // plate-a runs the same model; its own thresholds are set on the line and kept with it.
      await h.client.call('station.setThresholds', signed({ t1: 0.25, t2: 0.65, actor: 'x', reason: 'a' }));
      await h.client.call('products.activate', signed({ id: 'plate-b', actor: 'x', reason: 'to b' }));
      const b = (await h.client.call('station.state', {})).model!;
      expect(b.id).toBe(bottle);
      expect(b.thresholds).toEqual(b.packageThresholds);
      await h.client.call('products.activate', signed({ id: 'plate-a', actor: 'x', reason: 'to a' }));
      expect((await h.client.call('station.state', {})).model!.thresholds).toEqual({ t1: 0.25, t2: 0.65 });
    });

    it('clears the product', async () => {
      const list = await h.client.call('products.activate', signed({ id: null, actor: 'x', reason: 'done' }));
      expect(list.activeId).toBeNull();
      expect((await h.client.call('station.state', {})).product).toBeNull();
    });
  });
}

productsSuite('HTTP + WebSocket', () => httpHarness());
productsSuite('Electron IPC', () => ipcHarness());
