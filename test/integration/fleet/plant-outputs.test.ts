// Plant integration against a real mosquitto broker and a local HTTP webhook.
import { createServer, type Server } from 'node:http';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlantPublisher, plantOutputsConfig, type VerdictMessage } from '../../../src/main/fleet';
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

  it('rejects unsafe configuration', () => {
    expect(() => plantOutputsConfig.parse({ stationId: 'a/#' })).toThrow(/station id/);
    expect(() =>
      plantOutputsConfig.parse({ stationId: 'a', webhook: { url: 'file:///etc/passwd' } }),
    ).toThrow(/webhook url/);
  });
});
