// End-to-end: the real headless station + the real renderer build in Chromium. Covers the
// foundation screens: navigation, Settings facts and edits, the audit
// trail with its verification banner, live refresh, and the connection-lost banner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, screenshot, waitForText, type BrowserSession } from './helpers/browser';
import { adminSession, startStation, type RunningStation } from './helpers/station';

// Built screens on a station that has inspected nothing (--no-demo): each must say so plainly
// instead of showing invented rows. The populated screens are covered by screens.test.ts.
const EMPTY_SCREENS = [
  {
    route: 'live',
    heading: 'Live inspection',
    says: /No frame inspected yet/,
    at: '[data-testid="live-no-frame"]',
  },
  {
    route: 'train',
    heading: 'Train a model',
    says: /Where are the images/,
    at: '[data-testid="wizard-folders"]',
  },
  {
    route: 'models',
    heading: 'Models',
    says: /No model versions yet/,
    at: '[data-testid="models-empty"]',
  },
  {
    route: 'review',
    heading: 'Review queue',
    says: /Nothing left to review/,
    at: '[data-testid="queue-list"]',
  },
  {
    route: 'history',
    heading: 'History',
    says: /No inspections match the filter/,
    at: '[data-testid="history-table"]',
  },
] as const;

// Chromium logs every non-2xx fetch as a console error; 400s are expected where the test
// provokes a validation error on purpose. Anything else (CSP violations, exceptions) fails.
const EXPECTED_PROBLEM = /Failed to load resource: the server responded with a status of 400/;

describe('station shell (headless, Chromium)', () => {
  let station: RunningStation;
  let browser: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    station = await startStation();
    browser = await launchBrowser({ url: station.url, cookie: await adminSession(station) });
    page = browser.page;
    await page.goto(station.url);
    await page.locator('.page-title').first().waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  async function open(route: string, heading: string): Promise<void> {
    await page.click(`[data-testid="nav-${route}"]`);
    await waitForText(page.locator('.page-title'), new RegExp(`^${heading}$`));
    expect(await page.getAttribute(`[data-testid="nav-${route}"]`, 'aria-current')).toBe('page');
  }

  it('shows the header: product name, live connection and the signed-in person', async () => {
    await waitForText(page.locator('[data-testid="connection"]'), /Connected/);
    await waitForText(page.locator('[data-testid="operator-name"]'), /^Administrator$/);
    expect(await page.textContent('.brand-name')).toBe('Inspection Station');
    await waitForText(page.locator('.brand-sub'), /^v\d+\.\d+\.\d+.* · headless/);
  });

  it('shows the built screens empty, and says so, on a station with no inspections', async () => {
    for (const p of EMPTY_SCREENS) {
      await open(p.route, p.heading);
      expect(await page.locator('[data-testid="not-built"]').count()).toBe(0);
      await waitForText(page.locator(p.at), p.says);
      await screenshot(page, `${p.route}-empty`);
    }
    // No model is loaded: the Live screen says so and still explains the verdict colours.
    await open('live', 'Live inspection');
    await waitForText(page.locator('[data-testid="live-model"]'), /none loaded/);
    expect(await page.locator('[data-testid="verdict-legend"] .verdict').allTextContents()).toEqual([
      'PASS',
      'REVIEW',
      'FAIL',
    ]);
  });

  it('Settings shows real facts from system.info', async () => {
    await open('settings', 'Settings');
    await waitForText(page.locator('[data-testid="fact-ort-version"] dd'), /^\d+\.\d+\.\d+/);
    await waitForText(page.locator('[data-testid="provider-cpu-status"]'), /^Available$/);
    await waitForText(page.locator('[data-testid="active-provider"]'), /Will run on: \w+/);
    expect(await page.textContent('[data-testid="fact-data-dir"] dd')).toContain(station.dataDir);
    expect(await page.textContent('[data-testid="fact-db-path"] dd')).toContain(station.dataDir);
    expect(await page.textContent('[data-testid="fact-db-size"] dd')).toMatch(
      /^\d+(\.\d+)? (B|KiB|MiB|GiB)$/,
    );
    expect(await page.textContent('[data-testid="fact-schema"] dd')).toMatch(/^\d+$/);
    expect(await page.textContent('[data-testid="fact-mode"] dd')).toMatch(/Headless/);
    expect(await page.textContent('[data-testid="fact-headless-url"] dd')).toBe(station.url);
    // serve.js runs under the same Node as vitest (process.execPath).
    expect(await page.textContent('[data-testid="fact-node"] dd')).toContain(process.versions.node);
    await screenshot(page, 'settings');
  });

  it('shows the server’s validation error next to the field and saves nothing', async () => {
    await open('settings', 'Settings');
    await page.fill('#keepPassEvery', '0');
    await page.fill('#reason', 'e2e: try an invalid value');
    await page.click('button[type="submit"]');
    await waitForText(page.locator('[data-testid="settings-error"]'), /Invalid request for settings\.update/);
    await waitForText(page.locator('[data-testid="error-keepPassEvery"]'), /\S/);
    await screenshot(page, 'settings-validation');
    // A missing reason is caught before the request: it is part of the form, not a server rule.
    await page.fill('#keepPassEvery', '5');
    await page.fill('#reason', '');
    await page.click('button[type="submit"]');
    await waitForText(page.locator('[data-testid="error-reason"]'), /reason is required/i);
    await page.click('button:has-text("Discard")');
    expect(await page.inputValue('#keepPassEvery')).toBe('10');
  });

  it('audits an operator-name change and verifies the chain', async () => {
    await open('settings', 'Settings');
    await page.fill('#operatorName', 'E2E Operator');
    await page.fill('#reason', 'e2e: shift change to E2E Operator');
    await page.click('button[type="submit"]');
    await waitForText(page.locator('[data-testid="settings-saved"]'), /Saved .* signed by operator/);
    // The header follows the change without a reload (settings.changed / update answer).

    await open('audit', 'Audit trail');
    const newest = page.locator('[data-testid="audit-table"] tbody tr').first();
    await waitForText(newest, /E2E Operator/);
    const text = (await newest.textContent()) ?? '';
    expect(text).toContain('settings.update');
    expect(text).toContain('e2e: shift change to E2E Operator');
    // The actor is the signed-in person, whatever the operator name setting says.
    expect(await newest.locator('td.col-actor').textContent()).toBe('admin');
    await waitForText(page.locator('[data-testid="verify-banner"]'), /Chain verified: \d+ audit rows?/);
    await screenshot(page, 'audit');

    // Row details show the full values and both hashes.
    await newest.click();
    await waitForText(page.locator('[data-testid="audit-detail"]'), /Previous hash/);
    await screenshot(page, 'audit-detail');
  });

  it('refreshes the audit page live when another client changes something', async () => {
    await open('audit', 'Audit trail');
    const before = await page.locator('[data-testid="audit-table"] tbody tr').count();
    // A second client (same origin, plain fetch) changes a setting; this page must pick the
    // new row up from the audit.appended event without any click.
    const status = await page.evaluate(async () => {
      const res = await fetch('/api/rpc/settings.update', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          patch: { retention: { keepPassEvery: 7 } },
          actor: 'second client',
          reason: 'e2e: live refresh check',
        }),
      });
      return res.status;
    });
    expect(status).toBe(200);
    // Signed by the session's person, not by the name the request carried.
    // The newest row is the second client's change, carrying the session's person.
    await waitForText(page.locator('[data-testid="audit-table"] tbody tr').first(), /live refresh check/);
    expect(await page.locator('[data-testid="audit-table"] tbody tr').first().textContent()).toMatch(/admin/);
    expect(await page.locator('[data-testid="audit-table"] tbody tr').count()).toBe(before + 1);
    // The banner re-verifies by itself after the append; wait until it covers the new row.
    await waitForText(
      page.locator('[data-testid="verify-banner"]'),
      (text) => Number(/Chain verified: (\d+) audit rows?/.exec(text)?.[1] ?? 0) >= before + 1,
    );
    await page.click('[data-testid="reverify"]');
    await waitForText(page.locator('[data-testid="verify-banner"]'), /Chain verified/);
  });

  it('has no console errors or CSP violations', () => {
    expect(browser.problems.filter((p) => !EXPECTED_PROBLEM.test(p))).toEqual([]);
  });

  it('shows a reconnecting banner when the station goes away', async () => {
    await station.stop();
    await waitForText(
      page.locator('[data-testid="connection-banner"]'),
      /Connection to the station lost — reconnecting/,
    );
    await waitForText(page.locator('[data-testid="connection"]'), /Connection lost/);
    await screenshot(page, 'connection-lost');
  });
});

describe('token-protected station', () => {
  const TOKEN = 'e2e-token-3f9c1a7b';
  let station: RunningStation;
  let browser: BrowserSession;

  beforeAll(async () => {
    // STATION_TOKEN makes even a loopback bind demand the token, which is what a LAN bind does.
    station = await startStation({ env: { STATION_TOKEN: TOKEN } });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  it('lets the browser in with ?token= and keeps the token out of the address bar', async () => {
    const page = browser.page;
    const refused = await page.request.post(`${station.url}api/rpc/system.info`, { data: {} });
    expect(refused.status()).toBe(401);

    await page.goto(`${station.url}?token=${TOKEN}`);
    // First start: the administrator signs in with the printed one-time password and
    // chooses a new one before any screen opens.
    await page.locator('[data-testid="first-run"]').waitFor();
    await screenshot(page, 'sign-in-first-run');
    expect(await page.inputValue('[data-testid="signin-name"]')).toBe('admin');
    await page.fill('[data-testid="signin-password"]', await station.oneTimePassword());
    await page.click('[data-testid="signin-submit"]');
    await page.fill('[data-testid="pw-new"]', 'a-new-admin-password');
    await page.fill('[data-testid="pw-repeat"]', 'a-new-admin-password');
    await screenshot(page, 'choose-password');
    await page.click('[data-testid="pw-submit"]');
    await waitForText(page.locator('[data-testid="connection"]'), /Connected/);
    await waitForText(page.locator('[data-testid="operator-name"]'), /^Administrator$/);
    await page.waitForFunction(() => !window.location.search.includes('token'));
  });

  it('shows the access page when the token stops being accepted', async () => {
    const page = browser.page;
    await page.click('[data-testid="nav-settings"]');
    await waitForText(page.locator('[data-testid="fact-ort-version"] dd'), /\d/);
    // Same as the station getting a new token while this page is open.
    await browser.context.clearCookies();
    await page.click('button:has-text("Refresh facts")');
    await waitForText(page.locator('[data-testid="access-required"] h1'), /^Access token required$/);
    await screenshot(page, 'access-required');
  });
});
