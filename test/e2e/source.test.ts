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
import { adminSession, startStation, type RunningStation } from './helpers/station';

describe('frame source setup (headless, Chromium)', () => {
  let station: RunningStation;
  let browser: BrowserSession;
  let folder: string;
  let cookie: string;

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
    cookie = await adminSession(station);
    browser = await launchBrowser({ url: station.url, cookie });
  }, 180_000);

  async function rpc<T>(method: string, body: unknown): Promise<T> {
    const res = await fetch(`${station.url}api/rpc/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify(body),
    });
    return ((await res.json()) as { result: T }).result;
  }

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
    // The demo model is fitted on first start; a line without a model cannot run any source.
    const deadline = Date.now() + 150_000;
    while (!(await rpc<{ model: unknown }>('station.state', {})).model) {
      if (Date.now() > deadline) throw new Error(`No model after 150 s.\n${station.output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await page.locator('[data-testid="source-switch"]').click();
    await waitForText(page.locator('[data-testid="source-switched"]'), /replay:/, 30_000);
    await waitForText(
      page.locator('[data-testid="source-current-label"] dd'),
      (t) => t === `replay:${folder}`,
    );

    await page.goto(`${station.url}#/live`);
    await waitForText(page.locator('[data-testid="live-source"]'), /replay:/);
    const audit = await rpc<AuditPage>('audit.list', { limit: 50 });
    const switched = audit.rows.find((r) => r.action === 'station.source' && r.newValue?.includes(folder));
    expect(switched).toBeDefined();
    expect(browser.problems).toEqual([]);
  }, 260_000);
});
