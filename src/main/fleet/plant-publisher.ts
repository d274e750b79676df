// Plant integration: every verdict goes to the plant's MQTT broker and, optionally, to a
// webhook. Outputs never slow or stop inspection: publishing is fire-and-forget with bounded
// queues, and every failure is counted in the publisher's state.
import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';

/** Topic segments may not carry MQTT wildcards or separators. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const plantOutputsConfig = z
  .object({
    stationId: z.string().regex(SEGMENT, 'station id: 1-64 letters, digits, ".", "_" or "-"'),
    /** Reported as "product" when the station has no product of its own for the part. */
    product: z.string().min(1).max(200).optional(),
    mqtt: z
      .object({
        url: z.string().regex(/^mqtts?:\/\/[^\s]+$/, 'mqtt url must start with mqtt:// or mqtts://'),
        username: z.string().max(200).optional(),
        password: z.string().max(200).optional(),
        /** Topic is `<topicPrefix>/<stationId>/verdict`. */
        topicPrefix: z
          .string()
          .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/)
          .default('station'),
      })
      .strict()
      .optional(),
    webhook: z
      .object({
        url: z.string().regex(/^https?:\/\/[^\s]+$/, 'webhook url must start with http:// or https://'),
        attempts: z.number().int().min(1).max(20).default(5),
        backoffMs: z.number().int().min(10).max(60_000).default(500),
        timeoutMs: z.number().int().min(100).max(60_000).default(5000),
      })
      .strict()
      .optional(),
    /** Messages waiting for the broker or webhook; beyond this the oldest are dropped and counted. */
    maxPending: z.number().int().min(1).max(1_000_000).default(10_000),
  })
  .strict();

export type PlantOutputsConfig = z.output<typeof plantOutputsConfig>;

export interface VerdictMessage {
  station: string;
  product: string;
  partId: string;
  verdict: 'PASS' | 'REVIEW' | 'FAIL';
  score: number;
  at: string;
}

export interface PlantPublisherState {
  mqttConnected: boolean;
  published: number;
  webhookDelivered: number;
  webhookFailed: number;
  dropped: number;
  pending: number;
  lastError: string | null;
}

export function verdictTopic(cfg: PlantOutputsConfig): string | null {
  return cfg.mqtt ? `${cfg.mqtt.topicPrefix}/${cfg.stationId}/verdict` : null;
}

export class PlantPublisher {
  private readonly client: MqttClient | null;
  private readonly topic: string | null;
  private readonly s: PlantPublisherState = {
    mqttConnected: false,
    published: 0,
    webhookDelivered: 0,
    webhookFailed: 0,
    dropped: 0,
    pending: 0,
    lastError: null,
  };
  private readonly webhookQueue: VerdictMessage[] = [];
  private webhookBusy: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly cfg: PlantOutputsConfig,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    this.topic = verdictTopic(cfg);
    if (cfg.mqtt) {
      // QoS 1 with a persistent session: a verdict published while the broker is away is kept
      // (up to maxPending) and delivered at least once when it comes back.
      this.client = mqtt.connect(cfg.mqtt.url, {
        clientId: `inspection-${cfg.stationId}`,
        clean: false,
        username: cfg.mqtt.username,
        password: cfg.mqtt.password,
        reconnectPeriod: 1000,
        connectTimeout: 5000,
      });
      this.client.on('connect', () => (this.s.mqttConnected = true));
      this.client.on('close', () => (this.s.mqttConnected = false));
      this.client.on('error', (err) => (this.s.lastError = `mqtt: ${err.message}`));
    } else {
      this.client = null;
    }
  }

  state(): PlantPublisherState {
    return { ...this.s, pending: this.s.pending + this.webhookQueue.length };
  }

  publish(msg: VerdictMessage): void {
    if (this.closed) return;
    if (this.client && this.topic) this.publishMqtt(msg);
    if (this.cfg.webhook) {
      if (this.webhookQueue.length >= this.cfg.maxPending) {
        this.webhookQueue.shift();
        this.s.dropped++;
      }
      this.webhookQueue.push(msg);
      this.webhookBusy ??= this.drainWebhook().finally(() => (this.webhookBusy = null));
    }
  }

  /** Waits for queued webhook deliveries and MQTT acknowledgements, then disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    await this.webhookBusy;
    if (this.client) await this.client.endAsync();
  }

  private publishMqtt(msg: VerdictMessage): void {
    const client = this.client as MqttClient;
    if (this.s.pending >= this.cfg.maxPending) {
      this.s.dropped++;
      return;
    }
    this.s.pending++;
    client.publish(this.topic as string, JSON.stringify(msg), { qos: 1 }, (err) => {
      this.s.pending--;
      if (err) this.s.lastError = `mqtt: ${err.message}`;
      else this.s.published++;
    });
  }

  private async drainWebhook(): Promise<void> {
    const hook = this.cfg.webhook;
    if (!hook) return;
    for (let msg = this.webhookQueue.shift(); msg; msg = this.webhookQueue.shift()) {
      let delivered = false;
      for (let attempt = 1; attempt <= hook.attempts && !delivered; attempt++) {
        try {
          const res = await this.fetchFn(hook.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(msg),
            signal: AbortSignal.timeout(hook.timeoutMs),
          });
          // 4xx other than 408/429 will not get better by retrying.
          if (res.ok) delivered = true;
          else if (res.status < 500 && res.status !== 408 && res.status !== 429) {
            this.s.lastError = `webhook: HTTP ${res.status}`;
            break;
          } else this.s.lastError = `webhook: HTTP ${res.status}`;
        } catch (err) {
          this.s.lastError = `webhook: ${err instanceof Error ? err.message : String(err)}`;
        }
        if (!delivered && attempt < hook.attempts) {
          await new Promise((r) => setTimeout(r, hook.backoffMs * 2 ** (attempt - 1)));
        }
      }
      if (delivered) this.s.webhookDelivered++;
      else this.s.webhookFailed++;
    }
  }
}
