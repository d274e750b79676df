// Products end to end on the real demo line: create a product on the Products screen, deploy the
// demo model for it, see a mismatching model's warning, switch the line to it (signed), find it in
// the header of every screen and on the recorded parts, then tune thresholds in History's what-if
// and apply them to the line (signed, audited). Screenshots at 1024×768 and 1920×1080.
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { AuditPage, InspectionListPage, ModelList } from '@shared/api';
import type { StationState } from '@shared/station';
import { writeAnomalibPackage } from '../integration/wizard/helpers';
import { launchBrowser, screenshot, waitForText, type BrowserSession } from './helpers/browser';
import { adminSession, signChange, startStation, type RunningStation, rpc } from './helpers/station';

const SIZES = [
  [1024, 768],
  [1920, 1080],
] as const;

describe('products, the header and History thresholds (headless, Chromium)', () => {
  let station: RunningStation;
  let browser: BrowserSession;
  let page: Page;
  let demoModel: string;
  let vendorModel: string;

  beforeAll(async () => {
    station = await startStation({ args: [] });
    const cookie = await adminSession(station);
    const deadline = Date.now() + 150_000;
    for (;;) {
      const list = await rpc<ModelList>(station.url, 'models.list', {}).catch(() => null);
      if (list?.liveModelId) {
        demoModel = list.liveModelId;
        break;
      }
      if (Date.now() > deadline) throw new Error(`No live model after 150 s.\n${station.output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    // A model from elsewhere: nothing ties it to the product, so deploying it must warn.
    const pkg = writeAnomalibPackage(join(mkdtempSync(join(tmpdir(), 'e2e-vendor-')), 'vendor'), {
      metadata: { image_threshold: 0.6, pred_scores: { min: 0, max: 1 } },
    });
    vendorModel = (
      await rpc<{ id: string }>(station.url, 'models.import', {
        path: pkg,
        actor: 'x',
        reason: 'vendor model',
      })
    ).id;
    browser = await launchBrowser({ url: station.url, cookie });
    page = browser.page;
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  it('creates a product, deploys per product with the mismatch warning, switches the line (signed)', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.goto(`${station.url}#/products`);
    await page.locator('.page-title').first().waitFor();
    await waitForText(page.locator('[data-testid="product-badge-name"]'), /none selected/);

    await page.fill('[data-testid="product-new-name"]', 'Demo plate');
    await page.fill('[data-testid="product-new-reason"]', 'the demo line makes plates');
    await page.click('[data-testid="product-create"]');
    await waitForText(
      page.locator('[data-testid="product-new-result"]'),
      /Created "Demo plate" \(demo-plate\)/,
    );

    // First model of the product: nothing to compare against (said, not asked).
    await page.selectOption('[data-testid="product-deploy-model"]', demoModel);
    await page.locator('[data-testid="product-warning-unverified"]').waitFor();
    await page.fill('[data-testid="product-deploy-reason"]', 'fitted on the demo parts');
    await page.click('[data-testid="product-deploy"]');
    await signChange(page);
    await waitForText(
      page.locator('[data-testid="product-deploy-result"]'),
      /is now the model of "Demo plate"/,
    );

    // A model trained on other images: warned, and held back until accepted.
    await page.selectOption('[data-testid="product-deploy-model"]', vendorModel);
    await waitForText(
      page.locator('[data-testid="product-warning-training_set"]'),
      /no record of its training images \(imported\), so no earlier model of "Demo plate"/,
    );
    await page.fill('[data-testid="product-deploy-reason"]', 'try the vendor model');
    expect(await page.isDisabled('[data-testid="product-deploy"]')).toBe(true);
    await page.check('[data-testid="product-deploy-accept"]');
    expect(await page.isDisabled('[data-testid="product-deploy"]')).toBe(false);
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await screenshot(page, `products-deploy-warning-${w}x${h}`);
    }
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.selectOption('[data-testid="product-deploy-model"]', '');

    const runBefore = (await rpc<StationState>(station.url, 'station.state', {})).run!.id;
    await page.fill('[data-testid="product-activate-reason"]', 'changeover to the plate order');
    await page.click('[data-testid="product-activate"]');
    await signChange(page);
    await waitForText(
      page.locator('[data-testid="product-activate-result"]'),
      /The line now runs "Demo plate"/,
    );
    await waitForText(page.locator('[data-testid="product-badge-name"]'), /Demo plate/);

    const state = await rpc<StationState>(station.url, 'station.state', {});
    expect(state.product).toEqual({ id: 'demo-plate', name: 'Demo plate' });
    // The changeover is a new run of the (still running) demo line.
    expect(state.status).toBe('running');
    expect(state.run!.id).toBeGreaterThan(runBefore);
    const audit = await rpc<AuditPage>(station.url, 'audit.list', { limit: 100 });
    expect(audit.rows.find((r) => r.action === 'products.activate')).toMatchObject({
      actor: 'admin',
      reason: 'changeover to the plate order',
    });
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await screenshot(page, `products-${w}x${h}`);
    }
  }, 120_000);

  it('shows the product in the header of every screen and records it on every inspection', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    for (const route of ['live', 'review', 'models', 'history', 'settings']) {
      await page.goto(`${station.url}#/${route}`);
      await page.locator('.page-title').first().waitFor();
      await waitForText(page.locator('[data-testid="product-badge-name"]'), /Demo plate/);
    }
    const deadline = Date.now() + 60_000;
    let rows: InspectionListPage['rows'] = [];
    while (rows.length < 10) {
      rows = (
        await rpc<InspectionListPage>(station.url, 'inspections.list', {
          filter: { productId: 'demo-plate' },
        })
      ).rows;
      if (Date.now() > deadline) throw new Error('no inspections of the product within 60 s');
      if (rows.length < 10) await new Promise((r) => setTimeout(r, 500));
    }
    for (const r of rows) {
      expect(r.productId).toBe('demo-plate');
      expect(r.runId).toBeGreaterThan(0);
      expect(r.sourceRef).toMatch(/\.png$/);
    }
  }, 90_000);

  it('applies thresholds chosen in History to the line (signed, audited), for that model only', async () => {
    await rpc(station.url, 'station.stop', { reason: 'fixed set of rows for History' });
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.goto(`${station.url}#/history`);
    await page.locator('.page-title').first().waitFor();
    await page.selectOption('[data-testid="hf-product"]', 'demo-plate');
    await page.click('[data-testid="hf-apply"]');
    await waitForText(page.locator('[data-testid="yield-scope"]'), /Product Demo plate/);
    await waitForText(page.locator('[data-testid="whatif-changed"]'), /would get a different verdict/);
    const before = await rpc<StationState>(station.url, 'station.state', {});
    // Move T2 down with the keyboard (a quarter bin per key press).
    await page.focus('[data-testid="handle-t2"]');
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowLeft');
    const t2 = Number(await page.getAttribute('[data-testid="handle-t2"]', 'aria-valuenow'));
    expect(t2).toBeLessThan(before.model!.thresholds.t2);
    // The what-if recomputes for the new T2 (debounced); apply only once its figures are back, as
    // the reason cites them.
    await page.waitForTimeout(1000);
    await waitForText(page.locator('[data-testid="whatif-changed"]'), /would get a different verdict/);
    await page.fill('[data-testid="whatif-apply-reason"]', 'fewer escapes on the plate order');
    await page.click('[data-testid="whatif-apply"]');
    await signChange(page);
    await waitForText(page.locator('[data-testid="whatif-apply-result"]'), /The line now judges with/);
    const after = await rpc<StationState>(station.url, 'station.state', {});
    expect(after.model!.thresholds.t2).toBeCloseTo(t2, 6);
    const audit = await rpc<AuditPage>(station.url, 'audit.list', { limit: 100 });
    const row = audit.rows.find((r) => r.action === 'thresholds.update');
    expect(row).toMatchObject({ actor: 'admin', entity: `model:${demoModel}` });
    expect(row!.reason).toMatch(/^fewer escapes on the plate order \(History what-if over \d+ parts/);
    // The product keeps them, so switching back to it restores them.
    const product = await rpc<{ product: { thresholds: { t2: number } | null } }>(
      station.url,
      'products.get',
      {
        id: 'demo-plate',
      },
    );
    expect(product.product.thresholds?.t2).toBeCloseTo(t2, 6);
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await screenshot(page, `history-apply-${w}x${h}`);
    }
  }, 90_000);
});
