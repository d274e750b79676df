// The fleet server end to end: a real PostgreSQL fed by two replicating stations, the built
// server started with --fleet, and Chromium on its screens. A QA engineer reviews a part from
// line-2, the station pulls the decision and applies it, and the fleet server shows it applied;
// Lines shows yield per station and exports CSV; Audit verifies a station; station-only screens
// say they are not available. Screenshots at 1024×768 and 1920×1080. Then a station's Settings
// card joins it to the fleet and tests the central database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { DecisionLink } from '../../src/main/fleet/decision-link';
import { Replicator } from '../../src/main/fleet';
import { SettingsStore, type Verdict } from '../../src/main/storage';
import { attachSigningKey, loadOrCreateSigningKey } from '../../src/main/storage/checkpoints';
import { PG_MISSING, TestPostgres } from '../integration/fleet/servers';
import { SimStation } from '../integration/fleet/station-fixture';
import { launchBrowser, screenshot, waitForText, type BrowserSession } from './helpers/browser';
import { adminSession, startStation, stationHeaders, type RunningStation } from './helpers/station';

const SIZES = [
  [1024, 768],
  [1920, 1080],
] as const;

/** A machined-part-like picture (ring on a plate, optional scratch), so the review has a real image. */
async function partPng(seed: number, scratch: boolean): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240">
    <rect width="320" height="240" fill="#5b6470"/>
    <circle cx="160" cy="120" r="${80 + (seed % 7)}" fill="#9aa4b1" stroke="#2c3138" stroke-width="6"/>
    <circle cx="160" cy="120" r="26" fill="#2c3138"/>
    ${scratch ? `<line x1="${110 + (seed % 30)}" y1="70" x2="${200 - (seed % 20)}" y2="170" stroke="#e8e2d0" stroke-width="4"/>` : ''}
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

async function seed(sim: SimStation, count: number, product: string): Promise<void> {
  const rows = [];
  for (let k = 0; k < count; k++) {
    const verdict: Verdict = k % 9 === 4 ? 'FAIL' : k % 7 === 3 ? 'REVIEW' : 'PASS';
    let imageRef: string | null = null;
    let imageSha256: string | null = null;
    if (verdict !== 'PASS') {
      const img = await sim.images.put(await partPng(k, verdict === 'FAIL'), 'png');
      imageRef = img.ref;
      imageSha256 = img.sha256;
    }
    rows.push({
      at: new Date(Date.now() - (count - k) * 60_000).toISOString(),
      source: 'camera',
      frameId: `${sim.id}-${k}`,
      modelId: 'patchcore-v3',
      modelVersion: 3,
      rawScore: 1 + (k % 13) / 5,
      normScore: verdict === 'PASS' ? 0.2 + (k % 5) / 20 : verdict === 'REVIEW' ? 0.62 : 0.91,
      verdict,
      latencyMs: 14,
      imageRef,
      imageSha256,
      productId: product,
      runId: 1,
      sourceRef: `${sim.id}-${k}.png`,
    });
  }
  sim.inspections.insertMany(rows);
}

function noOverflow(page: BrowserSession['page']): Promise<string | null> {
  return page.evaluate(() =>
    document.documentElement.scrollWidth > window.innerWidth
      ? `page is ${document.documentElement.scrollWidth} px wide at ${window.innerWidth}`
      : null,
  );
}

describe.skipIf(PG_MISSING !== null)('fleet server UI over the central database (Chromium)', () => {
  let pg: TestPostgres;
  let stations: SimStation[] = [];
  let fleet: RunningStation;
  let browser: BrowserSession;

  beforeAll(async () => {
    pg = await TestPostgres.create();
    stations = await Promise.all(['line-1', 'line-2'].map((id) => SimStation.create(id)));
    for (const [i, s] of stations.entries()) {
      attachSigningKey(s.db, loadOrCreateSigningKey(s.dir));
      await seed(s, 120, i === 0 ? 'bracket-a' : 'hinge-b');
      const r = new Replicator({ db: s.db, stationId: s.id, imagesDir: s.imagesDir, central: pg.config });
      await r.drain();
      await r.stop();
    }
    fleet = await startStation({ args: ['--fleet', pg.url] });
    const cookie = await adminSession(fleet);
    browser = await launchBrowser({ url: fleet.url, cookie });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await fleet?.stop();
    for (const s of stations) s.close();
    pg?.destroy();
  });

  it('reviews a part from another line; the station applies the decision and the server shows it', async () => {
    const page = browser.page;
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto(fleet.url);
    await page.waitForSelector('[data-page="review"]');
    await waitForText(page.locator('[data-testid="brand-sub"]'), /fleet server/);
    await waitForText(page.locator('[data-testid="queue-count"]'), /\d+\+? shown/);

    await page.selectOption('[data-testid="f-station"]', 'line-2');
    await page.selectOption('[data-testid="f-product"]', 'hinge-b');
    // The queue reloads for the new filter; wait until it holds line-2 parts only.
    const deadline = Date.now() + 15_000;
    let items: string[] = [];
    while (Date.now() < deadline) {
      items = await page.locator('[data-testid="queue-item"]').allTextContents();
      if (items.length > 0 && items.every((t) => t.includes('line-2'))) break;
      await page.waitForTimeout(200);
    }
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((t) => t.includes('line-2'))).toBe(true);
    await page.locator('[data-testid="queue-item"]').first().click();
    await waitForText(page.locator('[data-testid="detail-product"]'), /hinge-b/);
    await page.locator('[data-testid="review-detail"] img').first().waitFor();
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(400);
      expect(await noOverflow(page)).toBeNull();
      await screenshot(page, `fleet-review-${w}x${h}`);
    }

    await page.fill('#fleet-reason', 'oil film, part wiped and good');
    await page.click('[data-testid="decide-false-alarm"]');
    await waitForText(page.locator('[data-testid="decide-message"]'), /Stored\. line-2 applies it/);
    await waitForText(page.locator('[data-testid="decision-history"]'), /waiting for the station/);

    // line-2 reaches the central database and pulls the decision through its review path.
    const sim = stations[1];
    const link = new DecisionLink({
      db: sim.db,
      settings: new SettingsStore(sim.db, sim.audit),
      stationId: 'line-2',
      central: pg.config,
      apply: (d) => ({
        reviewId: sim.reviews.record({
          inspectionId: d.inspectionId,
          reviewer: `${d.reviewer}@fleet`,
          decision: d.decision,
          defectType: d.defectType,
          reason: d.reason,
        }).decision.id,
      }),
    });
    expect(await link.pullOnce()).toBe(1);
    await link.stop();
    const audit = sim.db
      .prepare(`SELECT actor, action, reason FROM audit_trail WHERE action = 'review.decide'`)
      .all();
    expect(audit).toEqual([
      { actor: 'admin@fleet', action: 'review.decide', reason: 'oil film, part wiped and good' },
    ]);

    await page.reload();
    await page.selectOption('[data-testid="fq-reviewed"]', 'yes');
    await page.locator('[data-testid="queue-item"]').first().click();
    await waitForText(page.locator('[data-testid="decision-history"]'), /applied at the station/);
    await page.setViewportSize({ width: 1024, height: 768 });
    await screenshot(page, 'fleet-review-applied-1024x768');
  }, 120_000);

  it('shows yield per line, exports CSV, and verifies a station centrally', async () => {
    const page = browser.page;
    await page.goto(`${fleet.url}#/history`);
    await page.waitForSelector('[data-testid="fleet-yield-table"]');
    await waitForText(page.locator('[data-testid="fleet-yield-table"]'), /line-1[\s\S]*line-2/);
    await waitForText(page.locator('[data-testid="fleet-yield-total"]'), /240 inspected/);
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(300);
      expect(await noOverflow(page)).toBeNull();
      await screenshot(page, `fleet-lines-${w}x${h}`);
    }
    const href = await page.getAttribute('[data-testid="fleet-csv"]', 'href');
    expect(href).toBe('/api/export/fleet.csv');
    const csv = await fetch(`${fleet.url}api/export/fleet.csv?stationId=line-1`, {
      headers: stationHeaders(fleet.url),
    });
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^central_id,station,/);
    expect(lines).toHaveLength(121);
    const bad = await fetch(`${fleet.url}api/export/fleet.csv?stationId=no%20such`, {
      headers: stationHeaders(fleet.url),
    });
    expect(bad.status).toBe(400);

    await page.goto(`${fleet.url}#/audit`);
    await page.click('[data-testid="verify-line-1"]');
    await waitForText(page.locator('[data-testid="fleet-stations-table"]'), /intact/);
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(300);
      expect(await noOverflow(page)).toBeNull();
      await screenshot(page, `fleet-audit-${w}x${h}`);
    }
  }, 120_000);

  it('says plainly which screens are not available on the fleet server', async () => {
    const page = browser.page;
    for (const route of ['live', 'train', 'settings'] as const) {
      await page.goto(`${fleet.url}#/${route}`);
      const text = await waitForText(page.locator('[data-testid="not-on-fleet-statement"]'), /not available/);
      expect(text).toMatch(/not available on the fleet server/);
    }
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.goto(`${fleet.url}#/live`);
    await page.locator('[data-testid="not-on-fleet"]').waitFor();
    await screenshot(page, 'fleet-live-not-available-1024x768');
    // The API says the same to a client that asks anyway.
    const res = await fetch(`${fleet.url}api/rpc/station.state`, {
      method: 'POST',
      headers: stationHeaders(fleet.url),
      body: '{}',
    });
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/not available on the fleet server/);
    expect(browser.problems.filter((p) => !/404|Failed to load resource/.test(p))).toEqual([]);
  });

  describe('a station joins the fleet from its Settings screen', () => {
    let station: RunningStation;
    let sb: BrowserSession;
    beforeAll(async () => {
      station = await startStation();
      const cookie = await adminSession(station);
      sb = await launchBrowser({ url: station.url, cookie });
    }, 120_000);
    afterAll(async () => {
      await sb?.close();
      await station?.stop();
    });

    it('tests the central database, saves the link (audited) and shows its state', async () => {
      const page = sb.page;
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${station.url}#/settings`);
      await page.locator('[data-testid="fleet-form"]').waitFor();
      await page.fill('#fl-station', 'line-3');
      await page.fill('#fl-central', pg.url);
      await page.fill('#fl-mqtt', 'mqtt://127.0.0.1:1');
      await page.click('[data-testid="fleet-test-central"]');
      await waitForText(page.locator('[data-testid="fleet-test-result-central"]'), /Connected: PostgreSQL/);
      await page.click('[data-testid="fleet-test-mqtt"]');
      await waitForText(
        page.locator('[data-testid="fleet-test-result-mqtt"]'),
        /mqtt: .*ECONNREFUSED|mqtt: .+/,
      );
      await page.fill('#fl-reason', 'line 3 joins the plant fleet');
      await page.click('[data-testid="fleet-save"]');
      await waitForText(page.locator('[data-testid="fleet-message"]'), /Saved/);
      await waitForText(page.locator('[data-testid="fleet-replication"]'), /connected/, 20_000);
      const card = page.locator('[data-testid="fleet-card"]');
      for (const [w, h] of SIZES) {
        await page.setViewportSize({ width: w, height: h });
        await page.waitForTimeout(300);
        expect(await noOverflow(page)).toBeNull();
        await card.scrollIntoViewIfNeeded();
        await screenshot(page, `settings-fleet-${w}x${h}`);
      }
      const trail = await fetch(`${station.url}api/rpc/audit.list`, {
        method: 'POST',
        headers: stationHeaders(station.url),
        body: JSON.stringify({ limit: 20 }),
      });
      const rows = (
        (await trail.json()) as {
          result: { rows: Array<{ action: string; entity: string; reason: string }> };
        }
      ).result.rows;
      expect(rows).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            action: 'internal.set',
            entity: 'settings.internal.fleet.replication',
            reason: 'line 3 joins the plant fleet',
          }),
        ]),
      );
    }, 90_000);
  });
});
