// End-to-end for issue 19's QA pieces on the real demo line: "save as good" of a chosen part from
// the Live reject strip, Review and History (preview, confirmation, refusal of parts whose image
// was not kept), zoom and pan in Review with the overlay aligned, and the administrators' Users
// screen (hidden from and refused to other roles). Screenshots at 1024×768 and 1920×1080.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { AuditPage, ImageData64, InspectionDetail, InspectionListPage } from '@shared/api';
import { launchBrowser, screenshot, waitForText, type BrowserSession } from './helpers/browser';
import { adminSession, startStation, type RunningStation, rpc } from './helpers/station';

const SIZES = [
  [1024, 768],
  [1920, 1080],
] as const;

async function shots(page: Page, name: string): Promise<void> {
  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(300);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(wide, `${name} at ${w}×${h} overflows sideways by ${wide} px`).toBeLessThanOrEqual(0);
    await screenshot(page, `${name}-${w}x${h}`);
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

// Chromium logs every non-2xx fetch; the refusals below are provoked on purpose.
const EXPECTED_PROBLEM = /Failed to load resource: the server responded with a status of (403|409)/;

describe('save as good, Review zoom and Users (headless, Chromium)', () => {
  let station: RunningStation;
  let browser: BrowserSession;
  let page: Page;

  const auditFor = async (id: number) =>
    (await rpc<AuditPage>(station.url, 'audit.list', { limit: 100 })).rows.find(
      (r) => r.action === 'training.add_good' && r.entity === `inspection:${id}`,
    );

  /** The data URL the dialog must show: the stored image of exactly that inspection. */
  const storedImage = async (id: number): Promise<string> => {
    const d = await rpc<InspectionDetail>(station.url, 'inspections.get', { id });
    const img = await rpc<ImageData64>(station.url, 'images.get', { ref: d.inspection.imageRef });
    return `data:${img.mime};base64,${img.base64}`;
  };

  beforeAll(async () => {
    station = await startStation({ args: [] });
    const cookie = await adminSession(station);
    const deadline = Date.now() + 150_000;
    for (;;) {
      const flagged = await rpc<InspectionListPage>(station.url, 'inspections.list', {
        filter: { verdicts: ['FAIL', 'REVIEW'] },
        limit: 10,
      }).catch(() => null);
      if (flagged && flagged.rows.length >= 6) break;
      if (Date.now() > deadline)
        throw new Error(`No flagged parts after 150 s.\n${station.output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    browser = await launchBrowser({ url: station.url, cookie });
    page = browser.page;
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  it('Live: a reject in the strip is saved as good after a preview of exactly that part', async () => {
    await page.goto(`${station.url}#/live`);
    await page.locator('[data-testid="reject-item"]').first().waitFor({ timeout: 30_000 });
    // On a moving line "this frame" is already another part: the button waits for the line to stop.
    await waitForText(page.locator('[data-testid="live-station-status"]'), /running/);
    expect(await page.isDisabled('[data-testid="save-good"]')).toBe(true);
    // The strip can show a reject (read from the log) before the first live result reaches the page.
    await expect
      .poll(() => page.getAttribute('[data-testid="save-good"]', 'title'), { timeout: 20_000 })
      .toMatch(/stop the line, or pick a part/);
    // Stop the line so the strip holds still while the person looks.
    await page.click('[data-testid="live-stop"]');
    await waitForText(page.locator('[data-testid="live-station-status"]'), /ready|idle/);
    // Stopped, the frame on screen is one known inspection and can be chosen.
    await page.waitForSelector('[data-testid="save-good"]:not([disabled])', { timeout: 10_000 });
    const card = page.locator('[data-testid="reject-item"]').nth(1);
    const href = (await card.locator('a').getAttribute('href')) ?? '';
    const id = Number(/id=(\d+)/.exec(href)?.[1]);
    expect(id).toBeGreaterThan(0);
    await card.locator('[data-testid="reject-save-good"]').click();
    const dialog = page.locator('[data-testid="save-good-dialog"]');
    await waitForText(dialog.locator('h2'), new RegExp(`#${id} as good`));
    await dialog.locator('[data-testid="save-good-preview"]').waitFor();
    expect(await dialog.locator('[data-testid="save-good-preview"]').getAttribute('src')).toBe(
      await storedImage(id),
    );
    // No reason, no save: the reason goes into the audit trail.
    expect(await page.isDisabled('[data-testid="save-good-confirm"]')).toBe(true);
    await page.fill('[data-testid="save-good-reason"]', 'glare on the rim, checked at the bench');
    await shots(page, 'save-good-live');
    await page.click('[data-testid="save-good-confirm"]');
    await waitForText(
      page.locator('[data-testid="save-good-result"]'),
      new RegExp(`Saved as good: .*good-candidates.*good_i${id}_`),
    );
    await page.click('[data-testid="save-good-cancel"]');
    await page.locator('[data-testid="save-good-dialog"]').waitFor({ state: 'detached' });
    const row = await auditFor(id);
    expect(row).toMatchObject({ actor: 'admin', reason: 'glare on the rim, checked at the bench' });
    expect(JSON.parse(row!.newValue!)).toMatchObject({ from: 'live' });
    // The same part again: refused with the path it already has.
    await card.locator('[data-testid="reject-save-good"]').click();
    await page.fill('[data-testid="save-good-reason"]', 'again');
    await page.click('[data-testid="save-good-confirm"]');
    await waitForText(page.locator('[data-testid="save-good-error"]'), /already saved as good/);
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="save-good-dialog"]').waitFor({ state: 'detached' });
  });

  it('Review: zoom and pan move image, heatmap and overlay together; save as good from the detail', async () => {
    const flagged = await rpc<InspectionListPage>(station.url, 'inspections.list', {
      filter: { verdicts: ['FAIL'] },
      limit: 20,
    });
    const target = flagged.rows.find((r) => r.imageRef && r.heatmapRef)!;
    await page.goto(`${station.url}#/review?id=${target.id}`);
    await page.locator('[data-testid="review-overlay"]').waitFor();
    const transforms = () =>
      page.$$eval('[data-testid="review-images"] .zoom-content', (els) =>
        els.map((e) => (e as HTMLElement).style.transform),
      );
    await waitForText(page.locator('[data-testid="zoom-level"]'), /^100 %$/);
    await page.click('[data-testid="zoom-in"]');
    await page.click('[data-testid="zoom-in"]');
    await waitForText(page.locator('[data-testid="zoom-level"]'), /^156 %$/);
    // Wheel over the overlay zooms around the cursor.
    const box = (await page.locator('[data-testid="review-overlay-view"]').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.3);
    await page.mouse.wheel(0, -200);
    await waitForText(page.locator('[data-testid="zoom-level"]'), /^195 %$/);
    // One view for all three pictures: the overlay stays on the spot it marks in the image.
    let t = await transforms();
    expect(t).toHaveLength(3);
    expect(new Set(t).size).toBe(1);
    expect(t[0]).toMatch(/scale\(1\.95/);
    // Drag pans; Shift+arrows pan; the page does not scroll sideways.
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.6, { steps: 4 });
    await page.mouse.up();
    const afterDrag = await transforms();
    expect(afterDrag[0]).not.toBe(t[0]);
    expect(new Set(afterDrag).size).toBe(1);
    await page.keyboard.press('Shift+ArrowLeft');
    t = await transforms();
    expect(t[0]).not.toBe(afterDrag[0]);
    // Plain keys: + zooms; the queue keys still work (J moves, so come back with K).
    await page.keyboard.press('+');
    await waitForText(page.locator('[data-testid="zoom-level"]'), /^244 %$/);
    await shots(page, 'review-zoom');
    await page.keyboard.press('0');
    await waitForText(page.locator('[data-testid="zoom-level"]'), /^100 %$/);
    expect((await transforms())[0]).toMatch(/^translate\(0(\.0+)?%, 0(\.0+)?%\) scale\(1(\.0+)?\)$/);

    await page.click('[data-testid="review-save-good"]');
    await page.locator('[data-testid="save-good-preview"]').waitFor();
    expect(await page.getAttribute('[data-testid="save-good-preview"]', 'src')).toBe(
      await storedImage(target.id),
    );
    await page.fill('[data-testid="save-good-reason"]', 'QA: reflection, not a scratch');
    await page.click('[data-testid="save-good-confirm"]');
    await waitForText(page.locator('[data-testid="save-good-result"]'), new RegExp(`good_i${target.id}_`));
    await page.click('[data-testid="save-good-cancel"]');
    expect(JSON.parse((await auditFor(target.id))!.newValue!)).toMatchObject({ from: 'review' });
  });

  it('History: a row’s detail saves it as good; a part whose image was not kept is refused with the reason', async () => {
    // The line is stopped: the first History page is the newest 50 rows, as the API lists them.
    const first = await rpc<InspectionListPage>(station.url, 'inspections.list', { limit: 50 });
    const done = new Set(
      (await rpc<AuditPage>(station.url, 'audit.list', { limit: 200 })).rows
        .filter((r) => r.action === 'training.add_good')
        .map((r) => r.entity),
    );
    // Only every n-th PASS image is kept, so the page has PASS rows without one.
    const bare = first.rows.find((r) => r.verdict === 'PASS' && !r.imageRef);
    const pick = first.rows.find(
      (r) => r.verdict !== 'PASS' && r.imageRef && !done.has(`inspection:${r.id}`),
    );
    expect(bare, 'a PASS row without an image on the first page').toBeDefined();
    expect(pick, 'a flagged row with an image on the first page').toBeDefined();
    const rowOf = (id: number) =>
      page
        .locator('[data-testid="history-table"] tbody tr')
        .filter({ has: page.locator('td.col-id', { hasText: new RegExp(`^${id}$`) }) });
    await page.goto(`${station.url}#/history`);
    await rowOf(bare!.id).click();
    await waitForText(page.locator('[data-testid="history-detail"]'), new RegExp(`Inspection #${bare!.id}`));
    await page.click('[data-testid="history-save-good"]');
    await waitForText(page.locator('[data-testid="save-good-blocked"]'), /cannot be saved as good.*not kept/);
    expect(await page.isDisabled('[data-testid="save-good-confirm"]')).toBe(true);
    await shots(page, 'save-good-history-refused');
    await page.click('[data-testid="save-good-cancel"]');

    await rowOf(pick!.id).click();
    await page.locator('[data-testid="history-detail-image"]').waitFor();
    await waitForText(page.locator('[data-testid="history-detail"]'), new RegExp(`Inspection #${pick!.id}`));
    await shots(page, 'history-detail');
    await page.click('[data-testid="history-save-good"]');
    await page.locator('[data-testid="save-good-preview"]').waitFor();
    expect(await page.getAttribute('[data-testid="save-good-preview"]', 'src')).toBe(
      await storedImage(pick!.id),
    );
    await page.fill('[data-testid="save-good-reason"]', 'checked the part: fine');
    await page.click('[data-testid="save-good-confirm"]');
    await waitForText(page.locator('[data-testid="save-good-result"]'), new RegExp(`good_i${pick!.id}_`));
    await page.click('[data-testid="save-good-cancel"]');
    expect(JSON.parse((await auditFor(pick!.id))!.newValue!)).toMatchObject({ from: 'history' });
  });

  it('Users: the administrator creates an account, changes its role, resets its PIN, disables and enables it', async () => {
    await page.goto(`${station.url}#/live`);
    await page.click('[data-testid="nav-users"]');
    await page.locator('[data-testid="users-table"]').waitFor();
    await waitForText(page.locator('[data-testid="users-table"]'), /admin/);
    await page.fill('[data-testid="new-user-name"]', 'olga');
    await page.fill('[data-testid="new-user-display"]', 'Olga Nowak');
    await page.selectOption('[data-testid="new-user-role"]', 'operator');
    await page.fill('[data-testid="new-user-password"]', '12');
    await waitForText(page.locator('[data-testid="user-create"]'), /PIN of at least 4 digits/);
    expect(await page.isDisabled('[data-testid="new-user-create"]')).toBe(true);
    await page.fill('[data-testid="new-user-password"]', '4711');
    await page.fill('[data-testid="new-user-reason"]', 'new starter on line 3');
    await shots(page, 'users-create');
    await page.click('[data-testid="new-user-create"]');
    await waitForText(page.locator('[data-testid="new-user-outcome"]'), /Created olga \(Operator\)/);
    // The new account is selected for editing.
    await waitForText(page.locator('[data-testid="user-edit"]'), /Account olga/);
    await page.selectOption('[data-testid="user-role"]', 'qa');
    await page.fill('[data-testid="user-reason"]', 'moved to QA');
    await page.click('[data-testid="user-save"]');
    await waitForText(page.locator('[data-testid="user-outcome"]'), /role is now QA/);
    await waitForText(page.locator('[data-testid="users-table"]'), /olga.*QA/);
    await page.fill('[data-testid="user-password"]', '9090');
    await page.fill('[data-testid="user-reason"]', 'forgot her PIN');
    await page.click('[data-testid="user-reset"]');
    await waitForText(page.locator('[data-testid="user-outcome"]'), /password reset/);
    await page.fill('[data-testid="user-reason"]', 'on leave');
    await page.click('[data-testid="user-disable"]');
    await waitForText(page.locator('[data-testid="user-edit"]'), /disabled/);
    await shots(page, 'users-edit');
    await page.fill('[data-testid="user-reason"]', 'back from leave');
    await page.click('[data-testid="user-enable"]');
    await waitForText(page.locator('[data-testid="user-outcome"]'), /enabled again/);
    const audit = (await rpc<AuditPage>(station.url, 'audit.list', { limit: 50 })).rows.filter(
      (r) => r.entity === 'user:olga',
    );
    expect(audit.map((r) => r.reason)).toEqual(
      expect.arrayContaining([
        'new starter on line 3',
        'moved to QA',
        'forgot her PIN',
        'on leave',
        'back from leave',
      ]),
    );
    expect(audit.every((r) => r.actor === 'admin')).toBe(true);
  });

  it('Users: another role neither sees the screen nor gets its data', async () => {
    const signIn = await fetch(`${station.url}api/rpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'olga', password: '9090' }),
    });
    expect(signIn.ok).toBe(true);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
    await rpc(station.url, 'auth.changePassword', { oldPassword: '9090', newPassword: '24681357' }, cookie);
    await expect(rpc(station.url, 'users.list', {}, cookie)).rejects.toThrow(
      /403.*QA; this needs Administrator/,
    );
    const qaBrowser = await launchBrowser({ url: station.url, cookie });
    try {
      const qaPage = qaBrowser.page;
      await qaPage.goto(`${station.url}#/live`);
      await qaPage.locator('[data-testid="nav-review"]').waitFor();
      expect(await qaPage.locator('[data-testid="nav-users"]').count()).toBe(0);
      await qaPage.goto(`${station.url}#/users`);
      await waitForText(qaPage.locator('[data-testid="users-refused"]'), /Administrators only/);
      await shots(qaPage, 'users-refused');
      expect(qaBrowser.problems.filter((p) => !EXPECTED_PROBLEM.test(p))).toEqual([]);
    } finally {
      await qaBrowser.close();
    }
    expect(browser.problems.filter((p) => !EXPECTED_PROBLEM.test(p))).toEqual([]);
  });
});
