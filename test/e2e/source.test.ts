// The frame source screen in Chromium against the real headless station: a replay folder is
// test-captured (its first image shows as the preview), the line is switched to it, Live shows
// the new source, and the switch is in the audit trail.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '@shared/api';
import { launchBrowser, screenshot, waitForText, type BrowserSession } from './helpers/browser';
import { startStation, type RunningStation } from './helpers/station';

describe('frame source setup (headless, Chromium)', () => {
  let station: RunningStation;
  let browser: BrowserSession;
  let folder: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'e2e-source-'));
    for (const [i, r] of [200, 90, 30].entries()) {
      const png = await sharp({
        create: { width: 96, height: 96, channels: 3, background: { r, g: 120, b: 60 } },
      })
        .png()
        .toBuffer();
      writeFileSync(join(folder, `part-${i + 1}.png`), png);
    }
    // The demo gives the station a model, so switching the source starts real inspection.
    station = await startStation({ args: [] });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  it('tests a replay folder, shows its first frame, switches the line and audits it', async () => {
    const page = browser.page;
    await page.goto(`${station.url}#/source`);
    await page.locator('[data-testid="source-form-card"]').waitFor();
    await page.locator('[data-testid="source-kind-replay"]').check();
    await page.locator('[data-testid="source-folder"]').fill(folder);
    // Switching is refused until a test capture of exactly these settings is on screen.
    expect(await page.locator('[data-testid="source-switch"]').isDisabled()).toBe(true);
    await page.locator('[data-testid="source-test"]').click();
    await page.locator('[data-testid="source-preview"]').waitFor({ timeout: 20_000 });
    await waitForText(page.locator('[data-testid="source-preview-card"]'), /part-1\.png/);
    const natural = await page
      .locator('[data-testid="source-preview"]')
      .evaluate((img) => (img as HTMLImageElement).naturalWidth);
    expect(natural).toBe(96);
    for (const [w, h] of [
      [1024, 768],
      [1920, 1080],
    ]) {
      await page.setViewportSize({ width: w, height: h });
      await screenshot(page, `source-tested-${w}x${h}`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    }
    // Model fitting of the demo may still run; the switch waits for it like Start does.
    await page.locator('[data-testid="source-switch"]').click();
    await waitForText(page.locator('[data-testid="source-switched"]'), /replay:/, 120_000);
    await waitForText(page.locator('[data-testid="source-current-label"]'), (t) => t === `replay:${folder}`);

    await page.goto(`${station.url}#/live`);
    await waitForText(page.locator('[data-testid="live-source"]'), /replay:/);
    const res = await fetch(`${station.url}api/rpc/audit.list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ limit: 50 }),
    });
    const audit = ((await res.json()) as { result: AuditPage }).result;
    const switched = audit.rows.find((r) => r.action === 'station.source' && r.newValue?.includes(folder));
    expect(switched).toBeDefined();
    expect(browser.problems).toEqual([]);
  }, 200_000);
});
