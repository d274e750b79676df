// Chromium driven by playwright-core: the system browser, a fresh profile per launch, and the
// flags that keep it quiet and offline-friendly in CI containers.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from './station';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results/screenshots');

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors, e.g. CSP violations. */
  problems: string[];
  close(): Promise<void>;
}

/** `signedInAs`: the station's session cookie (from adminSession), so the page opens signed in. */
export async function launchBrowser(signedInAs?: { url: string; cookie: string }): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'station-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
  });
  if (signedInAs) {
    const [name, ...value] = signedInAs.cookie.split('=');
    await context.addCookies([{ name, value: value.join('='), url: signedInAs.url }]);
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  // Let the spinner-free state settle (fonts, last paint) so the picture is what a user sees.
  await page.evaluate(() => document.fonts.ready);
  // Sticky bars are painted mid-page in full-page captures of tall screens; pin them to the
  // top of the document for the capture only (CSSOM, so the CSP allows it), then restore.
  await page.evaluate(() => {
    for (const el of document.querySelectorAll<HTMLElement>('.topbar, .conn-banner, .sidenav ul')) {
      el.style.position = 'static';
    }
  });
  await page.screenshot({ path, fullPage: true });
  await page.evaluate(() => {
    for (const el of document.querySelectorAll<HTMLElement>('.topbar, .conn-banner, .sidenav ul')) {
      el.style.removeProperty('position');
    }
  });
  return path;
}

/**
 * Polls until the locator's text matches (a pattern, or a predicate for things like "count
 * at least N"); playwright-core has no auto-waiting expect. Returns the matching text.
 */
export async function waitForText(
  locator: Locator,
  match: RegExp | ((text: string) => boolean),
  timeoutMs = 15_000,
): Promise<string> {
  const test = typeof match === 'function' ? match : (text: string) => match.test(text);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      last = (await locator.first().textContent({ timeout: 1000 })) ?? '';
      if (test(last)) return last;
    } catch {
      // Not attached yet; keep polling until the deadline.
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${String(match)} in ${String(locator)}; last text: ${JSON.stringify(last)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
