// Plant integration: every verdict goes to the plant's MQTT broker and, optionally, to a
// webhook; a product may route its verdicts elsewhere (its own topic or webhook) or not at all.
// Outputs never slow or stop inspection: publishing is fire-and-forget with bounded queues, and
// every failure is counted in the publisher's state.
import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';

/** Topic segments may not carry MQTT wildcards or separators. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A whole topic: segments as above (no wildcards, no `$` system topics), at most 256 characters. */
const TOPIC = /^(?=.{1,256}$)[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const WEBHOOK_URL = /^https?:\/\/[^\s]+$/;

/**
 * Where one product's verdicts go instead of the station's targets. Left out: the station's
 * topic / webhook; `webhookUrl: null`: no webhook for this product.
 */
export const productRoute = z
  .object({
    publish: z.boolean().default(true),
    topic: z
      .string()
      .regex(TOPIC, 'topic: segments of letters, digits, ".", "_" or "-" separated by "/"')
      .optional(),
    webhookUrl: z
      .string()
      .regex(WEBHOOK_URL, 'webhook url must start with http:// or https://')
      .nullable()
      .optional(),
  })
  .strict();
export type ProductRoute = z.output<typeof productRoute>;

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
        url: z.string().regex(WEBHOOK_URL, 'webhook url must start with http:// or https://'),
        attempts: z.number().int().min(1).max(20).default(5),
        backoffMs: z.number().int().min(10).max(60_000).default(500),
        timeoutMs: z.number().int().min(100).max(60_000).default(5000),
      })
      .strict()
      .optional(),
    /** Per product id (the products table's ids): its own route; products not listed use the station's. */
    products: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'product id: lower-case letters, digits and "-"'),
        productRoute,
      )
      .default({}),
    /** Messages waiting for the broker or webhook; beyond this the oldest are dropped and counted. */
    maxPending: z.number().int().min(1).max(1_000_000).default(10_000),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const [id, r] of Object.entries(cfg.products)) {
      if (r.topic !== undefined && !cfg.mqtt) {
        ctx.addIssue({
          code: 'custom',
          path: ['products', id, 'topic'],
          message: `product ${id}: an MQTT topic needs the station's MQTT broker`,
        });
      }
    }
  });

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

/** Where a verdict of this product goes: MQTT topic and webhook URL, each null for none. */
export interface ResolvedRoute {
  topic: string | null;
  webhookUrl: string | null;
}

export function routeFor(cfg: PlantOutputsConfig, productId: string | null | undefined): ResolvedRoute {
  const own = productId ? cfg.products[productId] : undefined;
  if (own && !own.publish) return { topic: null, webhookUrl: null };
  const topic = cfg.mqtt ? (own?.topic ?? verdictTopic(cfg)) : null;
  const webhookUrl = own?.webhookUrl !== undefined ? own.webhookUrl : (cfg.webhook?.url ?? null);
  return { topic, webhookUrl };
}

/** Retries and timeouts for every webhook: the station webhook's settings, or their defaults. */
function webhookPolicy(cfg: PlantOutputsConfig): { attempts: number; backoffMs: number; timeoutMs: number } {
  return cfg.webhook ?? { attempts: 5, backoffMs: 500, timeoutMs: 5000 };
}

export class PlantPublisher {
  private readonly client: MqttClient | null;
  private readonly s: PlantPublisherState = {
    mqttConnected: false,
    published: 0,
    webhookDelivered: 0,
    webhookFailed: 0,
    dropped: 0,
    pending: 0,
    lastError: null,
  };
  /** One ordered queue per webhook URL, so a slow product endpoint does not hold up the others. */
  private readonly webhookQueues = new Map<string, VerdictMessage[]>();
  private readonly webhookBusy = new Map<string, Promise<void>>();
  private webhookWaiting = 0;
  private closed = false;

  constructor(
    private readonly cfg: PlantOutputsConfig,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
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
    return { ...this.s, pending: this.s.pending + this.webhookWaiting };
  }

  /** `productId`: the product the line ran for this part (its route), null for the station's. */
  publish(msg: VerdictMessage, productId: string | null = null): void {
    if (this.closed) return;
    const route = routeFor(this.cfg, productId);
    if (this.client && route.topic) this.publishMqtt(route.topic, msg);
    if (route.webhookUrl) this.queueWebhook(route.webhookUrl, msg);
  }

  /** Waits for queued webhook deliveries and MQTT acknowledgements, then disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.webhookBusy.size > 0) await Promise.all(this.webhookBusy.values());
    if (this.client) await this.client.endAsync();
  }

  private publishMqtt(topic: string, msg: VerdictMessage): void {
    const client = this.client as MqttClient;
    if (this.s.pending >= this.cfg.maxPending) {
      this.s.dropped++;
      return;
    }
    this.s.pending++;
    client.publish(topic, JSON.stringify(msg), { qos: 1 }, (err) => {
      this.s.pending--;
      if (err) this.s.lastError = `mqtt: ${err.message}`;
      else this.s.published++;
    });
  }

  private queueWebhook(url: string, msg: VerdictMessage): void {
    let queue = this.webhookQueues.get(url);
    if (!queue) this.webhookQueues.set(url, (queue = []));
    if (this.webhookWaiting >= this.cfg.maxPending) {
      // Drop the oldest waiting message (of the longest queue) so the newest verdicts get through.
      const longest = [...this.webhookQueues.values()].reduce((a, b) => (b.length > a.length ? b : a));
      longest.shift();
      this.webhookWaiting--;
      this.s.dropped++;
    }
    queue.push(msg);
    this.webhookWaiting++;
    if (!this.webhookBusy.has(url)) {
      this.webhookBusy.set(
        url,
        this.drainWebhook(url, queue).finally(() => this.webhookBusy.delete(url)),
      );
    }
  }

  private async drainWebhook(url: string, queue: VerdictMessage[]): Promise<void> {
    const hook = webhookPolicy(this.cfg);
    for (let msg = queue.shift(); msg; msg = queue.shift()) {
      this.webhookWaiting--;
      let delivered = false;
      for (let attempt = 1; attempt <= hook.attempts && !delivered; attempt++) {
        try {
          const res = await this.fetchFn(url, {
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
