// Plant integration against a real mosquitto broker and a local HTTP webhook.
import { createServer, type Server } from 'node:http';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlantPublisher, plantOutputsConfig, routeFor, type VerdictMessage } from '../../../src/main/fleet';
import { MOSQUITTO_MISSING, TestMosquitto } from './servers';

if (MOSQUITTO_MISSING) console.warn(`Skipping MQTT tests: ${MOSQUITTO_MISSING}`);

function verdict(i: number): VerdictMessage {
  return {
    station: 'line-7',
    product: 'bracket',
    partId: `part-${i}`,
    verdict: i % 3 === 0 ? 'FAIL' : 'PASS',
    score: i / 100,
    at: new Date(1_700_000_000_000 + i).toISOString(),
  };
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(MOSQUITTO_MISSING !== null)('verdicts over MQTT (real mosquitto)', () => {
  let broker: TestMosquitto;
  beforeAll(async () => {
    broker = await TestMosquitto.create();
  });
  afterAll(() => broker?.destroy());

  it('publishes every verdict once to station/<id>/verdict at QoS 1', async () => {
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'plant-scada' });
    const got: { topic: string; qos: number; body: VerdictMessage }[] = [];
    sub.on('message', (topic, payload, packet) =>
      got.push({ topic, qos: packet.qos, body: JSON.parse(payload.toString()) }),
    );
    await sub.subscribeAsync('station/+/verdict', { qos: 1 });
    const pub = new PlantPublisher(
      plantOutputsConfig.parse({ stationId: 'line-7', mqtt: { url: broker.url } }),
    );
    for (let i = 0; i < 200; i++) pub.publish(verdict(i));
    await until(() => got.length === 200);
    await until(() => pub.state().published === 200);
    expect(new Set(got.map((g) => g.topic))).toEqual(new Set(['station/line-7/verdict']));
    expect(got.every((g) => g.qos === 1)).toBe(true);
    expect(got.map((g) => g.body)).toEqual(Array.from({ length: 200 }, (_, i) => verdict(i)));
    expect(pub.state()).toMatchObject({ mqttConnected: true, dropped: 0, pending: 0 });
    await pub.close();
    await sub.endAsync();
  });

  it("routes each product's verdicts: its own topic, the station's, or none", async () => {
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'plant-mes' });
    const got: { topic: string; body: VerdictMessage }[] = [];
    sub.on('message', (topic, payload) => got.push({ topic, body: JSON.parse(payload.toString()) }));
    await sub.subscribeAsync(['station/#', 'plant/#'], { qos: 1 });
    const pub = new PlantPublisher(
      plantOutputsConfig.parse({
        stationId: 'line-8',
        mqtt: { url: broker.url },
        products: {
          'bracket-a': { topic: 'plant/brackets/line-8' },
          'hinge-b': { publish: false },
        },
      }),
    );
    const msg = (i: number, product: string): VerdictMessage => ({
      ...verdict(i),
      station: 'line-8',
      product,
    });
    pub.publish(msg(1, 'bracket-a'), 'bracket-a');
    pub.publish(msg(2, 'hinge-b'), 'hinge-b');
    pub.publish(msg(3, 'plate-c'), 'plate-c');
    pub.publish(msg(4, 'patchcore-v3'), null);
    await until(() => pub.state().published === 3);
    await until(() => got.length === 3);
    await new Promise((r) => setTimeout(r, 300)); // nothing else arrives (hinge-b is off)
    expect(got.map((g) => [g.topic, g.body.partId])).toEqual([
      ['plant/brackets/line-8', 'part-1'],
      ['station/line-8/verdict', 'part-3'],
      ['station/line-8/verdict', 'part-4'],
    ]);
    await pub.close();
    await sub.endAsync();
  });
});

describe('verdict routes', () => {
  const cfg = plantOutputsConfig.parse({
    stationId: 'line-8',
    mqtt: { url: 'mqtt://broker:1883', topicPrefix: 'site-2' },
    webhook: { url: 'https://mes/verdicts' },
    products: {
      a: { topic: 'plant/a' },
      b: { webhookUrl: null },
      c: { webhookUrl: 'https://qa/c' },
      d: { publish: false, topic: 'plant/d' },
    },
  });
  it('falls back to the station for what a product leaves out', () => {
    expect(routeFor(cfg, 'a')).toEqual({ topic: 'plant/a', webhookUrl: 'https://mes/verdicts' });
    expect(routeFor(cfg, 'b')).toEqual({ topic: 'site-2/line-8/verdict', webhookUrl: null });
    expect(routeFor(cfg, 'c')).toEqual({ topic: 'site-2/line-8/verdict', webhookUrl: 'https://qa/c' });
    expect(routeFor(cfg, 'd')).toEqual({ topic: null, webhookUrl: null });
    expect(routeFor(cfg, 'unlisted')).toEqual({
      topic: 'site-2/line-8/verdict',
      webhookUrl: 'https://mes/verdicts',
    });
    expect(routeFor(cfg, null)).toEqual(routeFor(cfg, 'unlisted'));
  });

  it('refuses topics with wildcards, a topic without a broker, and bad product ids', () => {
    expect(() =>
      plantOutputsConfig.parse({
        stationId: 's',
        mqtt: { url: 'mqtt://b' },
        products: { a: { topic: 'plant/#' } },
      }),
    ).toThrow(/topic/);
    expect(() =>
      plantOutputsConfig.parse({
        stationId: 's',
        mqtt: { url: 'mqtt://b' },
        products: { a: { topic: '$SYS/x' } },
      }),
    ).toThrow(/topic/);
    expect(() => plantOutputsConfig.parse({ stationId: 's', products: { a: { topic: 'plant/a' } } })).toThrow(
      /needs the station's MQTT broker/,
    );
    expect(() =>
      plantOutputsConfig.parse({ stationId: 's', products: { 'A/B': { publish: false } } }),
    ).toThrow(/product id/);
    expect(() =>
      plantOutputsConfig.parse({ stationId: 's', products: { a: { webhookUrl: 'ftp://x' } } }),
    ).toThrow(/webhook url/);
  });
});

describe('verdicts to a webhook', () => {
  let server: Server;
  let url = '';
  let failFirst = 0;
  const bodies: VerdictMessage[] = [];
  let calls = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      calls++;
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (failFirst > 0) {
          failFirst--;
          res.writeHead(503).end();
          return;
        }
        bodies.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/verdicts`;
  });
  afterAll(() => server?.close());

  it('retries a failing endpoint and delivers in order', async () => {
    failFirst = 2;
    const pub = new PlantPublisher(
      plantOutputsConfig.parse({ stationId: 'line-7', webhook: { url, attempts: 4, backoffMs: 10 } }),
    );
    for (let i = 0; i < 5; i++) pub.publish(verdict(i));
    await pub.close();
    expect(bodies).toEqual(Array.from({ length: 5 }, (_, i) => verdict(i)));
    expect(calls).toBe(7);
    expect(pub.state()).toMatchObject({ webhookDelivered: 5, webhookFailed: 0 });
  });

  it('gives up after the configured attempts and counts the failure', async () => {
    failFirst = 100;
    const pub = new PlantPublisher(
      plantOutputsConfig.parse({ stationId: 'line-7', webhook: { url, attempts: 3, backoffMs: 10 } }),
    );
    const before = calls;
    pub.publish(verdict(1));
    await pub.close();
    expect(calls - before).toBe(3);
    expect(pub.state()).toMatchObject({
      webhookDelivered: 0,
      webhookFailed: 1,
      lastError: 'webhook: HTTP 503',
    });
  });

  it("sends a product's verdicts to its own webhook, keeps order per endpoint, and none where it says none", async () => {
    const own: VerdictMessage[] = [];
    const other = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        own.push(JSON.parse(body));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const a = other.address();
    const ownUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/qa`;
    try {
      bodies.length = 0;
      failFirst = 0;
      const pub = new PlantPublisher(
        plantOutputsConfig.parse({
          stationId: 'line-7',
          webhook: { url, attempts: 2, backoffMs: 10 },
          products: { 'bracket-a': { webhookUrl: ownUrl }, 'hinge-b': { webhookUrl: null } },
        }),
      );
      for (let i = 0; i < 6; i++) {
        const product = ['bracket-a', 'hinge-b', 'plate-c'][i % 3];
        pub.publish({ ...verdict(i), product }, product);
      }
      await pub.close();
      expect(own.map((m) => m.partId)).toEqual(['part-0', 'part-3']);
      expect(bodies.map((m) => m.partId)).toEqual(['part-2', 'part-5']);
      expect(pub.state()).toMatchObject({ webhookDelivered: 4, webhookFailed: 0, pending: 0 });
    } finally {
      other.close();
    }
  });

  it('rejects unsafe configuration', () => {
    expect(() => plantOutputsConfig.parse({ stationId: 'a/#' })).toThrow(/station id/);
    expect(() =>
      plantOutputsConfig.parse({ stationId: 'a', webhook: { url: 'file:///etc/passwd' } }),
    ).toThrow(/webhook url/);
  });
});
