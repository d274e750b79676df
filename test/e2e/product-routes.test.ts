// Plant outputs per product, from Settings, against a real mosquitto and a real HTTP endpoint:
// an administrator gives one product its own MQTT topic and webhook and turns another off, tries
// each route from its row (the broker and the endpoint really receive the test), saves with a
// reason, and the station keeps exactly those routes. Screenshots at 1024×768 and 1920×1080.
import { createServer, type Server } from 'node:http';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetLinkStatus } from '@shared/api';
import { MOSQUITTO_MISSING, TestMosquitto } from '../integration/fleet/servers';
import { launchBrowser, screenshot, waitForText, type BrowserSession } from './helpers/browser';
import { adminSession, startStation, type RunningStation, rpc } from './helpers/station';

if (MOSQUITTO_MISSING) console.warn(`Skipping product routes e2e: ${MOSQUITTO_MISSING}`);

describe.skipIf(MOSQUITTO_MISSING !== null)('verdict outputs per product in Settings (Chromium)', () => {
  let station: RunningStation;
  let browser: BrowserSession;
  let broker: TestMosquitto;
  let hook: Server;
  let hookUrl = '';
  const hookBodies: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    broker = await TestMosquitto.create();
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hookBodies.push({ path: req.url, ...JSON.parse(body) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const a = hook.address();
    hookUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    station = await startStation();
    const cookie = await adminSession(station);
    for (const [id, name] of [
      ['bracket-a', 'Bracket A'],
      ['hinge-b', 'Hinge B'],
    ]) {
      await rpc(station.url, 'products.create', { id, name, actor: '', reason: 'e2e products' });
    }
    browser = await launchBrowser({ url: station.url, cookie });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
    broker?.destroy();
    hook?.close();
  });

  it('routes a product to its own topic and webhook, turns another off, tests each row and saves', async () => {
    const page = browser.page;
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto(`${station.url}#/settings`);
    await page.locator('[data-testid="fleet-form"]').waitFor();
    await page.fill('#fl-station', 'line-4');
    await page.fill('#fl-mqtt', broker.url);
    await page.fill('#fl-webhook', `${hookUrl}/mes`);
    // Both products are listed; with no override they keep the station's topic (the placeholder).
    const topicA = page.locator('[data-testid="route-topic-bracket-a"]');
    await topicA.waitFor();
    expect(await topicA.getAttribute('placeholder')).toBe('station/line-4/verdict');
    await topicA.fill('plant/brackets/line-4');
    await page.selectOption('[data-testid="route-webhook-mode-bracket-a"]', 'own');
    await page.fill('[data-testid="route-webhook-url-bracket-a"]', `${hookUrl}/qa-brackets`);
    await page.uncheck('[data-testid="route-publish-hinge-b"]');
    expect(await page.locator('[data-testid="route-topic-hinge-b"]').isDisabled()).toBe(true);

    const sub = await mqtt.connectAsync(broker.url, { clientId: 'e2e-plant' });
    const seen: string[] = [];
    sub.on('message', (topic) => seen.push(topic));
    await sub.subscribeAsync('#', { qos: 1 });
    try {
      await page.click('[data-testid="route-test-mqtt-bracket-a"]');
      await waitForText(
        page.locator('[data-testid="route-test-result-mqtt-bracket-a"]'),
        /test message on plant\/brackets\/line-4\/test \(product bracket-a's topic\)/,
      );
      await expect.poll(() => seen).toContain('plant/brackets/line-4/test');
    } finally {
      await sub.endAsync();
    }
    await page.click('[data-testid="route-test-webhook-bracket-a"]');
    await waitForText(
      page.locator('[data-testid="route-test-result-webhook-bracket-a"]'),
      /Product bracket-a's webhook answered HTTP 204/,
    );
    expect(hookBodies).toEqual([
      expect.objectContaining({ path: '/qa-brackets', test: true, station: 'line-4', product: 'bracket-a' }),
    ]);
    await page.click('[data-testid="route-test-webhook-hinge-b"]');
    await waitForText(
      page.locator('[data-testid="route-test-result-webhook-hinge-b"]'),
      /Publishing is off for product hinge-b/,
    );

    // A topic with a wildcard is refused in words on save, and nothing is stored.
    await topicA.fill('plant/#');
    await page.fill('#fl-reason', 'bracket verdicts to the QA line');
    await page.click('[data-testid="fleet-save"]');
    await waitForText(page.locator('[data-testid="fleet-message"]'), /topic/);
    expect((await rpc<FleetLinkStatus>(station.url, 'fleet.status', {})).config).toBeNull();

    await topicA.fill('plant/brackets/line-4');
    await page.click('[data-testid="fleet-save"]');
    await waitForText(page.locator('[data-testid="fleet-message"]'), /Saved/);
    const saved = await rpc<FleetLinkStatus>(station.url, 'fleet.status', {});
    expect(saved.config?.outputs?.products).toEqual({
      'bracket-a': {
        publish: true,
        topic: 'plant/brackets/line-4',
        webhookUrl: `${hookUrl}/qa-brackets`,
      },
      'hinge-b': { publish: false },
    });
    // After a reload the rows show what was stored.
    await page.reload();
    await page.locator('[data-testid="route-topic-bracket-a"]').waitFor();
    expect(await page.inputValue('[data-testid="route-topic-bracket-a"]')).toBe('plant/brackets/line-4');
    expect(await page.isChecked('[data-testid="route-publish-hinge-b"]')).toBe(false);

    const routes = page.locator('[data-testid="product-routes"]');
    for (const [w, h] of [
      [1024, 768],
      [1920, 1080],
    ] as const) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() =>
        document.documentElement.scrollWidth > window.innerWidth
          ? document.documentElement.scrollWidth
          : null,
      );
      expect(overflow).toBeNull();
      await routes.scrollIntoViewIfNeeded();
      await screenshot(page, `settings-product-routes-${w}x${h}`);
    }
    expect(browser.problems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
  });
});
