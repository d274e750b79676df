// End-to-end: the wizard's Pause / Resume / Discard of a training job across a restart of the
// built headless station (same data directory). DFR's fast preset trains on generated parts; the
// job is paused at a training step, the station process is stopped and started again, and the
// wizard lists the paused job, resumes it from its checkpoint and reaches calibration.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TrainingJobDto } from '@shared/api';
import { launchBrowser, screenshot, waitForText, type BrowserSession } from './helpers/browser';
import { adminSession, rpc, startStation, type RunningStation } from './helpers/station';
import { writeParts } from '../integration/wizard/helpers';

const SIZES: Array<[number, number]> = [
  [1024, 768],
  [1920, 1080],
];

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function noHorizontalOverflow(page: Page): Promise<void> {
  const [scroll, client] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ]);
  expect(scroll).toBeLessThanOrEqual(client);
}

describe('training pause and resume across a station restart (headless, Chromium)', () => {
  const work = mkdtempSync(join(tmpdir(), 'station-e2e-pause-'));
  const dataDir = join(work, 'data');
  const goodDir = join(work, 'good');
  let station: RunningStation | null = null;
  let browser: BrowserSession | null = null;
  let paused: TrainingJobDto;

  const open = async () => {
    station = await startStation({ dataDir });
    browser = await launchBrowser({ url: station.url, cookie: await adminSession(station) });
    return { station, page: browser.page };
  };
  const close = async () => {
    await browser?.close();
    browser = null;
    await station?.stop();
    station = null;
  };

  beforeAll(async () => {
    await writeParts(goodDir, 20, { seed: 321 });
  });

  afterAll(async () => {
    await close();
    rmSync(work, { recursive: true, force: true });
  });

  it('Pause stops the training at a step and says what was kept', async () => {
    const { station: s, page } = await open();
    await rpc(s.url, 'settings.update', {
      patch: { operatorName: 'Dana Kowalski' },
      actor: 'Dana Kowalski',
      reason: 'e2e operator',
    });
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.goto(`${s.url}#/train`);
    await page.fill('#goodDir', goodDir);
    await page.click('[data-testid="wizard-scan"]');
    await page.click('[data-testid="scan-continue"]');
    await page.check('input[name="method"][value="dfr"]');
    await page.click('[data-testid="preset-fast"]');
    await page.click('[data-testid="training-start"]');
    // Pause a few training steps in (before them the job is extracting features), so the curve
    // that must survive the restart has points to draw.
    await until('three training steps', async () => {
      const j = await rpc<TrainingJobDto | null>(s.url, 'training.status', {});
      if (j && !['preparing', 'fitting'].includes(j.state)) throw new Error(`job ended early: ${j.state}`);
      return j?.progress.stage === 'train' && j.progress.done >= 3;
    });
    await page.click('[data-testid="training-pause"]');
    await waitForText(page.locator('[data-testid="training-paused"]'), /checkpoint/, 60_000);
    paused = (await rpc<TrainingJobDto | null>(s.url, 'training.status', {}))!;
    expect(paused.state).toBe('paused');
    expect(paused.paused?.step).toBeGreaterThanOrEqual(3);
    await waitForText(page.locator('[data-testid="training-stage"]'), new RegExp(`Paused after step ${paused.paused!.step} of`));
    await waitForText(page.locator('[data-testid="training-device"]'), /Training runs on the CPU \(cpu\)/);
    expect(await page.locator('[data-testid="training-device-skipped"] li').count()).toBe(4);
    expect(await page.locator('[data-testid="training-resume"]').isEnabled()).toBe(true);
    expect(await page.locator('[data-testid="training-discard-paused"]').isEnabled()).toBe(true);
    expect(await page.locator('[data-testid="training-pause"]').count()).toBe(0);
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await noHorizontalOverflow(page);
      await screenshot(page, `train-paused-${w}x${h}`);
    }
    await close();
  }, 300_000);

  it('after a restart the wizard lists the paused job; Resume continues from its step to calibration', async () => {
    const { station: s, page } = await open();
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.goto(`${s.url}#/train`);
    await waitForText(page.locator('[data-testid="training-paused"]'), /Paused by admin/, 30_000);
    await waitForText(page.locator('[data-testid="training-state"]'), /paused/);
    await page.locator('[data-testid="training-resume"]').waitFor();
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await noHorizontalOverflow(page);
      await screenshot(page, `train-paused-after-restart-${w}x${h}`);
    }
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.click('[data-testid="training-resume"]');
    const ready = await until('the resumed job to finish', async () => {
      const j = await rpc<TrainingJobDto | null>(s.url, 'training.status', {});
      return j && ['ready', 'failed', 'cancelled'].includes(j.state) ? j : null;
    });
    expect(ready.error).toBeNull();
    expect(ready.state).toBe('ready');
    expect(ready.id).toBe(paused.id);
    // One curve from step 1 to the last: the steps before the pause were not trained again.
    const steps = ready.lossCurve!.train.map((p) => p.step);
    expect(steps).toEqual(Array.from({ length: paused.paused!.totalSteps! }, (_, i) => i + 1));
    expect(ready.lossCurve!.train.slice(0, paused.lossCurve!.train.length)).toEqual(paused.lossCurve!.train);
    await waitForText(page.locator('[data-testid="calibration-rates"]'), /Good parts FAIL/, 120_000);
    await screenshot(page, 'train-resumed-calibration-1024x768');
  }, 300_000);

  it('Discard of a paused job deletes its checkpoint', async () => {
    const s = station!;
    const page = browser!.page;
    await rpc(s.url, 'training.discard', { jobId: paused.id, actor: 'Dana Kowalski' });
    // A second job, paused and discarded from the wizard.
    await page.goto(`${s.url}#/train`);
    await page.reload();
    await page.fill('#goodDir', goodDir);
    await page.click('[data-testid="wizard-scan"]');
    await page.click('[data-testid="scan-continue"]');
    await page.check('input[name="method"][value="dfr"]');
    await page.click('[data-testid="training-start"]');
    await until('a training step', async () => {
      const j = await rpc<TrainingJobDto | null>(s.url, 'training.status', {});
      return j?.progress.stage === 'train' && j.progress.done >= 1;
    });
    await page.click('[data-testid="training-pause"]');
    await page.locator('[data-testid="training-discard-paused"]').click({ timeout: 60_000 });
    await waitForText(page.locator('[data-testid="training-state"]'), /cancelled/, 30_000);
    const j = await rpc<TrainingJobDto | null>(s.url, 'training.status', {});
    expect(j?.state).toBe('cancelled');
    const { readdirSync, existsSync } = await import('node:fs');
    const trainingDir = join(dataDir, 'training');
    expect(existsSync(trainingDir) ? readdirSync(trainingDir) : []).toEqual([]);
  }, 300_000);
});
