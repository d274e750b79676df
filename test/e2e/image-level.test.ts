// An image-level model (OCR-GAN's package shape: a score, no anomaly map) deployed on a real
// headless station: Live and Review say "no heatmap" instead of drawing an invented one, at both
// screen sizes. The package is the tiny demo model with its map output removed, so the station
// runs it in seconds; the screens only see `outputs.map: null`, exactly as with OCR-GAN.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoPaths } from '../../src/main/demo';
import { tempDir, tinyDemo, withoutMap } from '../integration/station/helpers';
import { launchBrowser, screenshot, waitForText, type BrowserSession } from './helpers/browser';
import { adminSession, E2E_ADMIN_PASSWORD, startStation, type RunningStation, rpc } from './helpers/station';

const SIZES: Array<[number, number]> = [
  [1024, 768],
  [1920, 1080],
];

describe('image-level model on the station (headless, Chromium)', () => {
  const tmp = tempDir('e2e-image-level');
  let demo: DemoPaths;
  let station: RunningStation | undefined;
  let browser: BrowserSession | undefined;

  beforeAll(async () => {
    demo = await tinyDemo(join(tmp.dir, 'data'));
    withoutMap(demo.modelDir, join(tmp.dir, 'image-level'), false);
    station = await startStation();
    const cookie = await adminSession(station);
    const version = (await rpc(station.url, 'models.import', {
      path: join(tmp.dir, 'image-level'),
      name: 'image-level demo',
      actor: 'admin',
      reason: 'e2e: an image-level package',
    })) as { id: string };
    await rpc(station.url, 'models.deploy', {
      id: version.id,
      actor: 'admin',
      reason: 'e2e: run the image-level package',
      signature: E2E_ADMIN_PASSWORD,
    });
    await rpc(station.url, 'station.start', {
      source: { kind: 'replay', folder: demo.lineDir, fps: 6, loop: true },
      reason: 'e2e: image-level line',
    });
    browser = await launchBrowser({ url: station.url, cookie });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
    tmp.cleanup();
  });

  it('Live shows the verdict and says there is no heatmap, at both sizes', async () => {
    const page = browser!.page;
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await page.goto(`${station!.url}#/live`);
      await page.locator('[data-testid="live-no-heatmap"]').waitFor();
      await waitForText(page.locator('[data-testid="live-no-heatmap"]'), /no heatmap/i);
      // No overlay controls that would do nothing.
      expect(await page.locator('[data-testid="overlay-toggle"]').count()).toBe(0);
      await screenshot(page, `image-level-live-${w}x${h}`);
    }
  });

  it('Review shows the part and says there is no heatmap, at both sizes', async () => {
    const page = browser!.page;
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await page.goto(`${station!.url}#/review`);
      await page.reload();
      await page.locator('[data-testid="queue-item"]').first().waitFor({ timeout: 60_000 });
      await page.locator('[data-testid="review-no-heatmap"]').waitFor();
      await waitForText(page.locator('[data-testid="review-no-heatmap"]'), /no heatmap/i);
      expect(await page.locator('[data-testid="review-heatmap"]').count()).toBe(0);
      expect(await page.locator('[data-testid="review-overlay"]').count()).toBe(0);
      await screenshot(page, `image-level-review-${w}x${h}`);
    }
  });
});
