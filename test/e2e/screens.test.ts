// End-to-end on a REAL replay run: `serve` without --no-demo generates the demo parts, fits the
// PatchCore model and replays the line at 5 fps. One station serves every test here (the fit
// costs ~10 s of CPU), and the line is stopped after the Live checks so Review and History see a
// fixed set of rows.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { InspectionListPage } from '@shared/api';
import { launchBrowser, screenshot, waitForText, type BrowserSession } from './helpers/browser';
import { adminSession, signChange, startStation, type RunningStation, rpc } from './helpers/station';

async function allIds(base: string, filter: Record<string, unknown>): Promise<number[]> {
  const ids: number[] = [];
  let after: unknown;
  for (;;) {
    const page = await rpc<InspectionListPage>(base, 'inspections.list', {
      filter,
      limit: 500,
      ...(after ? { after } : {}),
    });
    ids.push(...page.rows.map((r) => r.id));
    if (!page.next) return ids;
    after = page.next;
  }
}

describe('operator and QA screens on a real replay run (headless, Chromium)', () => {
  let station: RunningStation;
  let browser: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    station = await startStation({ args: [] });
    const cookie = await adminSession(station);
    // The demo line logs rows once the model is fitted; wait for enough flagged parts. (Since the
    // default preset projects onto principal axes the demo's good parts all PASS and its defects
    // all FAIL: REVIEW cannot be required here.)
    const deadline = Date.now() + 150_000;
    for (;;) {
      const flagged = await rpc<InspectionListPage>(station.url, 'inspections.list', {
        filter: { verdicts: ['FAIL', 'REVIEW'] },
        limit: 20,
      }).catch(() => null);
      const all = await rpc<{ total: number }>(station.url, 'inspections.histogram', {}).catch(() => ({
        total: 0,
      }));
      // More than one History page (50 rows), and enough flagged parts to review with the keyboard.
      if (all.total >= 70 && flagged && flagged.rows.length >= 8) break;
      if (Date.now() > deadline) throw new Error(`No inspections after 150 s.\n${station.output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    browser = await launchBrowser({ url: station.url, cookie });
    page = browser.page;
    await page.goto(`${station.url}#/live`);
    await page.locator('.page-title').first().waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  it('Live shows the running line: verdict, overlay, stats, rejects, source/model/provider', async () => {
    await waitForText(page.locator('[data-testid="live-station-status"]'), /running/);
    await waitForText(page.locator('[data-testid="live-verdict-value"]'), /PASS|REVIEW|FAIL/);
    await waitForText(page.locator('[data-testid="live-source"]'), /replay:.*demo/);
    await waitForText(page.locator('[data-testid="live-model"]'), /demo-.* · v1 · patchcore/);
    await waitForText(page.locator('[data-testid="live-provider"]'), /CPU/);
    await waitForText(
      page.locator('[data-testid="stat-fps"]'),
      (t) => Number(/([\d.]+)$/.exec(t)?.[1] ?? 0) > 0,
    );
    await waitForText(page.locator('[data-testid="stat-p95"]'), /\d+(\.\d)? ms/);
    await waitForText(page.locator('[data-testid="stat-yield-pct"]'), /\d+\.\d %/);
    await waitForText(page.locator('[data-testid="live-score"]'), /^-?\d+\.\d{3}$/);
    // The frame arrives as events at the source's rate: the frame name keeps changing.
    const first = await page.textContent('[data-testid="live-frame-name"]');
    await waitForText(page.locator('[data-testid="live-frame-name"]'), (t) => t !== first, 5000);
    const size = await page.$eval('[data-testid="live-canvas"]', (c) => [
      (c as HTMLCanvasElement).width,
      (c as HTMLCanvasElement).height,
    ]);
    expect(size[0]).toBeGreaterThan(100);
    expect(size[1]).toBeGreaterThan(100);
    expect(await page.locator('[data-testid="reject-item"]').count()).toBeGreaterThan(0);
    await waitForText(page.locator('[data-testid="heat-legend"]'), /normal.*FAIL/);
    await screenshot(page, 'live');
  });

  it('Live: save as good, stop, overlay toggle on the still frame, audited threshold change', async () => {
    // Save as good names a part (here the newest reject) and asks for a confirmation with a reason.
    await page.locator('[data-testid="reject-save-good"]').first().click();
    await page.locator('[data-testid="save-good-preview"]').waitFor();
    await page.fill('[data-testid="save-good-reason"]', 'checked at the line: good part');
    await page.click('[data-testid="save-good-confirm"]');
    await waitForText(page.locator('[data-testid="save-good-result"]'), /Saved as good: .*good-candidates/);
    await page.click('[data-testid="save-good-cancel"]');

    // Stop on a flagged part, so the still frame has a heatmap to toggle (a clean PASS part's map
    // can be all zeros). Frames come every 200 ms and about a quarter are flagged (73 of 300), so the
    // stop may land on a PASS: on a loaded machine eight tries failed together (0.76⁸ ≈ 11 %); 25
    // leave 0.1 %.
    for (let attempt = 1; ; attempt++) {
      await waitForText(page.locator('[data-testid="live-verdict-value"]'), /REVIEW|FAIL/, 20_000);
      await page.click('[data-testid="live-stop"]');
      await waitForText(page.locator('[data-testid="live-station-status"]'), /ready|idle/);
      await new Promise((r) => setTimeout(r, 500));
      // A stopped line never shows the last verdict big, only as "last part".
      await waitForText(page.locator('[data-testid="live-verdict-stale"]'), /^Line stopped$/);
      if (/REVIEW|FAIL/.test((await page.textContent('[data-testid="live-last-verdict"]')) ?? '')) break;
      expect(attempt, 'the line never stopped on a flagged part').toBeLessThan(25);
      await page.click('[data-testid="live-start"]');
      await waitForText(page.locator('[data-testid="live-station-status"]'), /running/);
    }
    await waitForText(page.locator('[data-testid="live-stopped"]'), /The line is stopped/);
    // Rows are written in batches; give the last one time to land before History counts them.
    await new Promise((r) => setTimeout(r, 800));

    const withOverlay = await page.$eval('[data-testid="live-canvas"]', (c) =>
      (c as HTMLCanvasElement).toDataURL(),
    );
    await page.click('[data-testid="overlay-toggle"]');
    const without = await page.$eval('[data-testid="live-canvas"]', (c) =>
      (c as HTMLCanvasElement).toDataURL(),
    );
    expect(without).not.toBe(withOverlay);
    await page.click('[data-testid="overlay-toggle"]');
    // A range input cannot be filled; the keyboard is how an operator would move it anyway.
    await page.focus('[data-testid="overlay-opacity"]');
    await page.keyboard.press('End');
    const stronger = await page.$eval('[data-testid="live-canvas"]', (c) =>
      (c as HTMLCanvasElement).toDataURL(),
    );
    expect(stronger).not.toBe(withOverlay);

    await page.fill('#thr-t1', '0.9');
    await page.fill('#thr-t2', '1.6');
    await page.click('[data-testid="thr-apply"]');
    await waitForText(page.locator('[data-testid="thr-message"]'), /reason is required/i);
    await page.fill('#thr-reason', 'e2e: tighter REVIEW band for the new supplier');
    await page.click('[data-testid="thr-apply"]');
    await signChange(page);
    await waitForText(page.locator('[data-testid="thr-message"]'), /T1 0\.900, T2 1\.600 \(audited\)/);
    const audit = await rpc<{ rows: Array<{ action: string; reason: string; newValue: string }> }>(
      station.url,
      'audit.list',
      { limit: 5 },
    );
    expect(audit.rows.find((r) => r.action === 'thresholds.update')).toMatchObject({
      reason: 'e2e: tighter REVIEW band for the new supplier',
      newValue: JSON.stringify({ t1: 0.9, t2: 1.6 }),
    });
    await screenshot(page, 'live-stopped');
  });

  it('a reject in the Live strip opens that part in Review', async () => {
    // The card holds the link to Review and its own "save as good" button.
    const reject = page.locator('[data-testid="reject-item"] a.reject-link').first();
    const href = (await reject.getAttribute('href')) ?? '';
    const id = Number(/id=(\d+)/.exec(href)?.[1]);
    expect(id).toBeGreaterThan(0);
    await reject.click();
    await waitForText(page.locator('.page-title'), /^Review queue$/);
    await waitForText(
      page.locator('[data-testid="review-detail"] .card-title'),
      new RegExp(`Inspection #${id}$`),
    );
  });

  it('Review: queue, image / heatmap / overlay, keyboard decisions, audit trail, candidates', async () => {
    await page.goto(`${station.url}#/review`);
    await page.reload();
    await waitForText(page.locator('[data-testid="queue-count"]'), /\d+\+? shown/);
    const items = page.locator('[data-testid="queue-item"]');
    expect(await items.count()).toBeGreaterThanOrEqual(4);
    const firstId = Number(await items.nth(0).getAttribute('data-id'));
    const secondId = Number(await items.nth(1).getAttribute('data-id'));
    const thirdId = Number(await items.nth(2).getAttribute('data-id'));
    await waitForText(page.locator('[data-testid="review-detail"] .card-title'), new RegExp(`#${firstId}$`));
    // All three pictures come from the image store and are really drawn.
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid="review-image"]');
      const heat = document.querySelector<HTMLImageElement>('[data-testid="review-heatmap"]');
      const overlay = document.querySelector<HTMLCanvasElement>('[data-testid="review-overlay"]');
      return !!img?.naturalWidth && !!heat?.naturalWidth && !!overlay && overlay.width > 16;
    });
    await screenshot(page, 'review');

    // J / K move, D decides "defect confirmed" and moves on.
    await page.keyboard.press('j');
    await waitForText(page.locator('[data-testid="review-detail"] .card-title'), new RegExp(`#${secondId}$`));
    await page.keyboard.press('k');
    await waitForText(page.locator('[data-testid="review-detail"] .card-title'), new RegExp(`#${firstId}$`));
    await page.fill('#defect-type', 'scratch');
    await page.locator('#defect-type').press('Escape');
    await page.keyboard.press('d');
    await waitForText(
      page.locator('[data-testid="decide-message"]'),
      new RegExp(`#${firstId}: defect confirmed by admin`),
    );
    await waitForText(page.locator('[data-testid="review-detail"] .card-title'), new RegExp(`#${secondId}$`));
    await waitForText(items.nth(0).locator('[data-testid="decision-tag"]'), /defect/);

    // G without a reason asks for one (and focuses the field); Enter there records the false alarm.
    await page.keyboard.press('g');
    await waitForText(page.locator('[data-testid="decide-message"]'), /needs a reason/);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('review-reason');
    await page.keyboard.type('reflection on the housing, part is fine');
    await page.keyboard.press('Enter');
    await waitForText(
      page.locator('[data-testid="decide-message"]'),
      new RegExp(`#${secondId}: false alarm by admin`),
    );
    await waitForText(page.locator('[data-testid="review-detail"] .card-title'), new RegExp(`#${thirdId}$`));
    await waitForText(items.nth(1).locator('[data-testid="decision-tag"]'), /false alarm/);

    // The decisions are stored with the row and in the audit trail, under the reviewer's name.
    const detail = await rpc<{
      inspection: { review: { decision: string; defectType: string | null } | null };
    }>(station.url, 'inspections.get', { id: firstId });
    expect(detail.inspection.review).toMatchObject({ decision: 'defect_confirmed', defectType: 'scratch' });

    await waitForText(page.locator('[data-testid="candidates-total"]'), /^1 false alarm$/);
    await page.click('[data-testid="candidates-export"]');
    await waitForText(
      page.locator('[data-testid="candidates-message"]'),
      /Copied 1 image to .*good-candidates/,
    );
    await page.click(`[data-testid="queue-item"][data-id="${secondId}"]`);
    await waitForText(
      page.locator('[data-testid="decision-history"]'),
      /false alarm.*by admin.*reflection on the housing/,
    );
    await screenshot(page, 'review-decided');

    await page.click('[data-testid="nav-audit"]');
    const rows = page.locator('[data-testid="audit-table"] tbody tr');
    await waitForText(rows.first(), /training\.export_candidates/);
    const text = (await page.locator('[data-testid="audit-table"]').textContent()) ?? '';
    expect(text).toContain(`inspection:${secondId}`);
    expect(text).toContain('reflection on the housing, part is fine');
    expect(text).toContain(`inspection:${firstId}`);
    expect(text).toContain('review.decide');
    await waitForText(page.locator('[data-testid="verify-banner"]'), /Chain verified/);
    await screenshot(page, 'audit-reviews');

    // A reviewed part leaves the "not yet reviewed" queue.
    await page.click('[data-testid="nav-review"]');
    await waitForText(page.locator('[data-testid="queue-count"]'), /shown/);
    expect(await page.locator(`[data-testid="queue-item"][data-id="${firstId}"]`).count()).toBe(0);
  });

  it('History: real rows, filtered CSV export that matches, what-if drag, yield over time', async () => {
    await page.click('[data-testid="nav-history"]');
    await waitForText(page.locator('[data-testid="history-total"]'), /\d+ matching/);
    const total = await rpc<{ total: number }>(station.url, 'inspections.histogram', {});
    await waitForText(
      page.locator('[data-testid="history-total"]'),
      new RegExp(`${total.total.toLocaleString('en').replace(/,/g, '\u202f')} matching`),
    );
    // Table and charts load independently; wait for each instead of racing them.
    await page.waitForFunction(
      (n) =>
        document.querySelectorAll('[data-testid="history-table"] tbody tr:not(.table-empty)').length === n,
      Math.min(50, total.total),
    );
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="yield-bucket"]').length > 0);
    await waitForText(page.locator('[data-testid="yield-overall"]'), /\d+\.\d %/);

    // Keyset paging: older and back.
    const firstRow = await page.locator('[data-testid="history-table"] tbody tr').first().textContent();
    await page.click('[data-testid="history-older"]');
    await waitForText(page.locator('[data-testid="history-total"]'), /Page 2/);
    await waitForText(page.locator('[data-testid="history-table"] tbody tr').first(), (t) => t !== firstRow);
    await page.click('[data-testid="history-newer"]');
    await waitForText(page.locator('[data-testid="history-total"]'), /Page 1/);

    // What-if: drag T1 left and T2 right; the counts follow.
    const passCell = page.locator('[data-testid="whatif-PASS"] .whatif-would');
    await waitForText(page.locator('[data-testid="whatif-changed"]'), /would get a different verdict/);
    const before = await passCell.textContent();
    await screenshot(page, 'history');
    // Paging scrolled down to the pager; the sticky header would cover the handle there.
    await page.evaluate(() => window.scrollTo(0, 0));
    const hit = await page.locator('[data-testid="handle-t1"] .handle-hit').boundingBox();
    expect(hit).not.toBeNull();
    await page.mouse.move(hit!.x + hit!.width / 2, hit!.y + hit!.height / 2);
    await page.mouse.down();
    await page.mouse.move(hit!.x - 60, hit!.y + hit!.height / 2, { steps: 8 });
    await page.mouse.move(hit!.x - 120, hit!.y + hit!.height / 2, { steps: 8 });
    await page.mouse.up();
    await waitForText(passCell, (t) => t !== before);
    await waitForText(page.locator('[data-testid="whatif-changed"]'), (t) => /^[1-9]/.test(t.trim()));
    const t1 = Number(await page.getAttribute('[data-testid="handle-t1"]', 'aria-valuenow'));
    const exact = await rpc<{ wouldBe: { pass: number } }>(station.url, 'inspections.whatIf', {
      t1,
      t2: 1.6,
    });
    await waitForText(passCell, (t) => t.replace(/\s|\u202f/g, '').startsWith(`${exact.wouldBe.pass}(`));
    await screenshot(page, 'history-whatif');

    // Filter to FAIL only; the export link streams exactly those rows.
    await page.click('[data-testid="hf-FAIL"]');
    await page.click('[data-testid="hf-apply"]');
    await waitForText(page.locator('[data-testid="history-table"] tbody tr').first(), /FAIL/);
    const downloadPromise = page.waitForEvent('download');
    await page.click('[data-testid="export-csv"]');
    const download = await downloadPromise;
    const file = await download.path();
    const csv = readFileSync(file, 'utf8').trimEnd().split('\r\n');
    expect(csv[0]).toMatch(/^id,at,verdict,norm_score/);
    const ids = csv.slice(1).map((l) => Number(l.split(',')[0]));
    expect(ids).toEqual(await allIds(station.url, { verdicts: ['FAIL'] }));
    expect(csv.slice(1).every((l) => l.split(',')[2] === 'FAIL')).toBe(true);
    expect(ids.length).toBeGreaterThan(0);
  });

  it('has no console errors or CSP violations', () => {
    expect(browser.problems).toEqual([]);
  });
});
