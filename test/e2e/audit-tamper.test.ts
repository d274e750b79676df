// The audit screen must tell a reviewer when the trail was changed behind the station's back:
// edit a row directly in the database file (after removing the append-only trigger, as an
// attacker with file access would), restart, and expect the red banner naming that row.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/main/storage/database';
import { InspectionRepository } from '../../src/main/storage/inspections';
import { attachSigningKey, loadOrCreateSigningKey } from '../../src/main/storage/checkpoints';
import { inspection } from '../unit/storage/helpers';
import { launchBrowser, screenshot, waitForText, type BrowserSession } from './helpers/browser';
import { adminSession, startStation, type RunningStation, rpc } from './helpers/station';

describe('audit tampering (headless, Chromium)', () => {
  let station: RunningStation | undefined;
  let browser: BrowserSession | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'station-e2e-tamper-'));
  afterAll(async () => {
    await browser?.close();
    await station?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows "Tampering detected" for a row edited in the database file', async () => {
    station = await startStation({ dataDir });
    await adminSession(station);
    for (const name of ['Ana', 'Ben', 'Cleo']) {
      await rpc(station.url, 'settings.update', {
        patch: { operatorName: name },
        actor: name,
        reason: 'shift',
      });
    }
    await station.stop();

    const db = new Database(join(dataDir, 'station.db'));
    db.exec('DROP TRIGGER audit_trail_no_update');
    db.prepare("UPDATE audit_trail SET reason = 'nothing to see' WHERE id = 2").run();
    db.close();

    station = await startStation({ dataDir });
    browser = await launchBrowser({ url: station.url, cookie: await adminSession(station) });
    await browser.page.goto(`${station.url}#/audit`);
    const banner = browser.page.locator('[data-testid="verify-banner"]');
    await waitForText(banner, /Tampering detected at row 2/);
    expect((await rpc(station.url, 'audit.verify', {})) as { ok: boolean; firstBadId: number }).toMatchObject(
      {
        ok: false,
        firstBadId: 2,
      },
    );
    await screenshot(browser.page, 'audit-tampered');
  });

  it('shows a changed inspection verdict with its time window, at both screen sizes', async () => {
    await browser?.close();
    await station?.stop();
    browser = undefined;
    // Restore an intact trail, then log inspections as the station itself would (sealed, signed).
    rmSync(dataDir, { recursive: true, force: true });
    station = await startStation({ dataDir });
    // The first start makes the administrator; choose the e2e password now so later starts sign in.
    await adminSession(station);
    await station.stop();
    const db = openDatabase(join(dataDir, 'station.db'));
    attachSigningKey(db, loadOrCreateSigningKey(dataDir));
    new InspectionRepository(db).insertMany(Array.from({ length: 60 }, (_, i) => inspection(i)));
    db.close();

    station = await startStation({ dataDir });
    browser = await launchBrowser({ url: station.url, cookie: await adminSession(station) });
    await browser.page.goto(`${station.url}#/audit`);
    let banner = browser.page.locator('[data-testid="verify-banner"]');
    await waitForText(banner, /Chain verified: .*60 inspections/);
    await screenshot(browser.page, 'audit-verified');
    await station.stop();

    const raw = new Database(join(dataDir, 'station.db'));
    raw.exec('DROP TRIGGER inspections_sealed_columns');
    raw.prepare(`UPDATE inspections SET verdict = 'PASS' WHERE id = 5`).run();
    raw.close();
    station = await startStation({ dataDir });
    // Sessions end with the process: sign in again on the restarted station.
    await browser.close();
    browser = await launchBrowser({ url: station.url, cookie: await adminSession(station) });
    await browser.page.goto(`${station.url}#/audit`);
    banner = browser.page.locator('[data-testid="verify-banner"]');
    await waitForText(banner, /Tampering detected at inspection 5/);
    await waitForText(browser.page.locator('[data-testid="verify-damage"]'), /Damage: edited · affected/);
    expect(await rpc(station.url, 'audit.verify', {})).toMatchObject({
      ok: false,
      scope: 'inspections',
      damage: 'edited',
      firstBadId: 5,
    });
    await browser.page.setViewportSize({ width: 1024, height: 768 });
    await screenshot(browser.page, 'audit-inspection-tampered');
    await browser.page.setViewportSize({ width: 1920, height: 1080 });
    await screenshot(browser.page, 'audit-inspection-tampered-1080');
  });
});
