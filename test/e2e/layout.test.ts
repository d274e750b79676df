// Every screen at 1024×768, 1280×720 and 1920×1080 on a running demo line: screenshots for a
// person to look at, and failures for what a person would have to scroll sideways for — a page
// wider than the window, or an element that spills out of its card.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, waitForText, type BrowserSession } from './helpers/browser';
import { adminSession, startStation, stationHeaders, type RunningStation } from './helpers/station';

const SIZES = [
  [1024, 768],
  [1280, 720],
  [1920, 1080],
] as const;
const ROUTES = [
  'live',
  'source',
  'products',
  'review',
  'train',
  'models',
  'history',
  'audit',
  'users',
  'settings',
] as const;

describe('layout on small and large screens (headless, Chromium)', () => {
  let station: RunningStation;
  let browser: BrowserSession;

  beforeAll(async () => {
    station = await startStation({ args: [] });
    const cookie = await adminSession(station);
    // Wait for the demo line to have logged a few flagged parts, so tables and strips have rows.
    const deadline = Date.now() + 150_000;
    for (;;) {
      const res = await fetch(`${station.url}api/rpc/inspections.list`, {
        method: 'POST',
        headers: stationHeaders(station.url),
        body: JSON.stringify({ filter: { verdicts: ['FAIL', 'REVIEW'] }, limit: 5 }),
      });
      const rows = res.ok ? ((await res.json()) as { result: { rows: unknown[] } }).result.rows : [];
      if (rows.length >= 3) break;
      if (Date.now() > deadline)
        throw new Error(`No flagged parts after 150 s.\n${station.output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    browser = await launchBrowser({ url: station.url, cookie });
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  it('fits every screen at every size, and keeps the Live verdict above the fold', async () => {
    const page = browser.page;
    const problems: string[] = [];
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      for (const route of ROUTES) {
        await page.goto(`${station.url}#/${route}`);
        await page.locator('.page-title').first().waitFor();
        await page.waitForTimeout(1200);
        const found = await page.evaluate(() => {
          const out: string[] = [];
          if (document.documentElement.scrollWidth > window.innerWidth) {
            out.push(`page is ${document.documentElement.scrollWidth} px wide`);
          }
          const clips = (el: Element | null, stop: Element): boolean => {
            for (let e = el; e && e !== stop; e = e.parentElement) {
              const o = getComputedStyle(e).overflowX;
              if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
            }
            return false;
          };
          for (const card of document.querySelectorAll('.card')) {
            const box = card.getBoundingClientRect();
            for (const el of card.querySelectorAll('*')) {
              const r = el.getBoundingClientRect();
              if (r.width === 0 || r.right <= box.right + 1) continue;
              if (clips(el.parentElement, card)) continue;
              const title = card.querySelector('.card-title')?.textContent ?? '(card)';
              const what = el.getAttribute('data-testid') ?? `${el.tagName.toLowerCase()}.${el.className}`;
              out.push(`"${title}": ${what} ends ${Math.round(r.right - box.right)} px past the card`);
              break;
            }
          }
          return out;
        });
        for (const f of found) problems.push(`${route} @ ${w}×${h}: ${f}`);
        if (route === 'live') {
          await waitForText(page.locator('[data-testid="live-verdict-value"]'), /\S/);
          const fold = await page.evaluate(() => {
            const bottom = (id: string) =>
              document.querySelector(`[data-testid="${id}"]`)?.getBoundingClientRect().bottom ?? Infinity;
            return {
              verdict: bottom('live-verdict-value'),
              score: bottom('live-score'),
              h: window.innerHeight,
            };
          });
          if (fold.verdict > fold.h || fold.score > fold.h) {
            problems.push(
              `live @ ${w}×${h}: verdict/score below the fold (${Math.round(fold.score)} > ${fold.h})`,
            );
          }
        }
        await screenshot(page, `layout-${route}-${w}x${h}`);
      }
    }
    expect(problems).toEqual([]);
  }, 300_000);
});
