// The Settings screen's view of the fleet link: one form (station id, central database, MQTT,
// webhook) mapped onto the two stored settings the services read, with secrets never sent back
// to the browser, and a connection test for each target that saves nothing.
import mqtt from 'mqtt';
import { Client } from 'pg';
import type { FleetLinkConfig, FleetTestResult } from '@shared/api';
import type { SettingsStore } from '../storage/settings-store';
import { DomainError } from '../util/errors';
import { plantOutputsConfig, routeFor, type PlantOutputsConfig } from './plant-publisher';
import { FLEET_OUTPUTS_KEY, FLEET_REPLICATION_KEY, fleetReplicationConfig } from './station-fleet';
import { redactUrl } from './central-store';

/** What the browser gets instead of a stored secret; sending it back keeps the stored one. */
export const SECRET_MASK = '•••';

export function readLinkConfig(settings: SettingsStore, opts: { mask: boolean }): FleetLinkConfig | null {
  const repl = fleetReplicationConfig.safeParse(settings.getInternal(FLEET_REPLICATION_KEY));
  const out = plantOutputsConfig.safeParse(settings.getInternal(FLEET_OUTPUTS_KEY));
  const r = repl.success ? repl.data : null;
  const o = out.success ? out.data : null;
  const stationId = r?.stationId ?? o?.stationId;
  if (!stationId) return null;
  return {
    stationId,
    replication: r
      ? {
          centralUrl: opts.mask ? redactUrl(r.centralUrl).replace('•••', SECRET_MASK) : r.centralUrl,
          ...(r.outboxCap ? { outboxCap: r.outboxCap } : {}),
        }
      : null,
    outputs: o
      ? {
          ...(o.product ? { product: o.product } : {}),
          mqtt: o.mqtt
            ? {
                url: o.mqtt.url,
                ...(o.mqtt.username ? { username: o.mqtt.username } : {}),
                ...(o.mqtt.password ? { password: opts.mask ? SECRET_MASK : o.mqtt.password } : {}),
                topicPrefix: o.mqtt.topicPrefix,
              }
            : null,
          webhook: o.webhook ? { url: o.webhook.url } : null,
          products: o.products,
        }
      : null,
  };
}

/** A form sent back with masked secrets gets the stored ones back. */
export function unmask(next: FleetLinkConfig, stored: FleetLinkConfig | null): FleetLinkConfig {
  const out = structuredClone(next);
  if (out.replication && out.replication.centralUrl.includes(SECRET_MASK)) {
    const old = stored?.replication?.centralUrl;
    const secret = old ? passwordOf(old) : null;
    if (secret === null) {
      throw new DomainError(
        'invalid',
        'The central database URL holds a masked password; type the password again.',
      );
    }
    out.replication.centralUrl = out.replication.centralUrl.replace(SECRET_MASK, secret);
  }
  const mq = out.outputs?.mqtt;
  if (mq && mq.password === SECRET_MASK) {
    const old = stored?.outputs?.mqtt?.password;
    if (!old) throw new DomainError('invalid', 'The MQTT password is masked; type it again.');
    mq.password = old;
  }
  return out;
}

function passwordOf(url: string): string | null {
  const m = /^[a-z]+:\/\/[^:/@]*:([^@]*)@/i.exec(url);
  return m ? m[1] : null;
}

/** Writes both stored settings (or removes them), audited by key with who and why. */
export function writeLinkConfig(
  settings: SettingsStore,
  config: FleetLinkConfig,
  audit: { actor: string; reason: string },
): void {
  const repl = config.replication
    ? fleetReplicationConfig.parse({ stationId: config.stationId, ...config.replication })
    : undefined;
  const outputs = hasTargets(config) ? toOutputs(config) : undefined;
  settings.setInternal(FLEET_REPLICATION_KEY, repl, audit);
  settings.setInternal(FLEET_OUTPUTS_KEY, outputs, audit);
}

/** Outputs are kept when something can receive a verdict: the broker, a station or product webhook. */
function hasTargets(config: FleetLinkConfig): boolean {
  const o = config.outputs;
  if (!o) return false;
  return !!o.mqtt || !!o.webhook || Object.values(o.products).some((r) => r.publish && !!r.webhookUrl);
}

function toOutputs(config: FleetLinkConfig): PlantOutputsConfig {
  const o = config.outputs;
  const r = plantOutputsConfig.safeParse({
    stationId: config.stationId,
    ...(o?.product ? { product: o.product } : {}),
    ...(o?.mqtt ? { mqtt: o.mqtt } : {}),
    ...(o?.webhook ? { webhook: o.webhook } : {}),
    ...(o && Object.keys(o.products).length ? { products: o.products } : {}),
  });
  if (!r.success) throw new DomainError('invalid', r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}

/** Tries one target; never throws (a failure is the answer). */
export async function testLinkTarget(
  target: FleetTestResult['target'],
  config: FleetLinkConfig,
  timeoutMs: number,
  product?: string,
): Promise<FleetTestResult> {
  const started = Date.now();
  const done = (ok: boolean, message: string): FleetTestResult => ({
    ok,
    target,
    message,
    ms: Date.now() - started,
  });
  try {
    if (target === 'central') {
      if (!config.replication) return done(false, 'No central database is configured.');
      const c = new Client({
        connectionString: config.replication.centralUrl,
        connectionTimeoutMillis: timeoutMs,
        query_timeout: timeoutMs,
      });
      c.on('error', () => undefined);
      try {
        await c.connect();
        const r = await c
          .query<{ v: string; s: number | null }>(
            `SELECT current_setting('server_version') AS v,
             (SELECT max(version) FROM fleet_schema_migrations) AS s`,
          )
          .catch(async () =>
            c.query<{ v: string; s: null }>(`SELECT current_setting('server_version') AS v, NULL AS s`),
          );
        const schema = r.rows[0].s
          ? `fleet schema v${r.rows[0].s}`
          : 'no fleet schema yet (the first station creates it)';
        return done(true, `Connected: PostgreSQL ${r.rows[0].v}, ${schema}.`);
      } finally {
        await c.end().catch(() => undefined);
      }
    }
    const outputs = toOutputs(config);
    const route = routeFor(outputs, product);
    const whose = product ? `product ${product}` : 'the station';
    if (product && outputs.products[product]?.publish === false) {
      return done(false, `Publishing is off for product ${product}: its verdicts go nowhere.`);
    }
    if (target === 'mqtt') {
      if (!outputs.mqtt) return done(false, 'No MQTT broker is configured.');
      const m = outputs.mqtt;
      const topic = route.topic ?? `${m.topicPrefix}/${outputs.stationId}/verdict`;
      const client = mqtt.connect(m.url, {
        username: m.username,
        password: m.password,
        connectTimeout: timeoutMs,
        reconnectPeriod: 0,
        clientId: `inspection-test-${outputs.stationId}-${process.pid}`,
      });
      try {
        await new Promise<void>((ok, fail) => {
          const t = setTimeout(
            () => fail(new Error(`no answer from the broker in ${timeoutMs} ms`)),
            timeoutMs,
          );
          client.once('connect', () => {
            clearTimeout(t);
            ok();
          });
          client.once('error', (e) => {
            clearTimeout(t);
            fail(e);
          });
        });
        // A broker accepting the connection may still refuse the topic: publish a marked test message.
        await client.publishAsync(
          `${topic}/test`,
          JSON.stringify({ test: true, station: outputs.stationId, ...(product ? { product } : {}) }),
          {
            qos: 1,
          },
        );
        return done(
          true,
          `Broker accepted the connection and a QoS 1 test message on ${topic}/test (${whose}'s topic).`,
        );
      } finally {
        client.end(true);
      }
    }
    if (!route.webhookUrl) {
      return done(false, product ? `Product ${product} sends no webhook.` : 'No webhook is configured.');
    }
    const ctl = AbortSignal.timeout(timeoutMs);
    const res = await fetch(route.webhookUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        test: true,
        station: outputs.stationId,
        ...(product ? { product } : {}),
        message: 'connection test from Settings',
      }),
      signal: ctl,
    });
    return done(
      res.ok,
      `${product ? `Product ${product}'s` : 'The'} webhook answered HTTP ${res.status}${res.ok ? '' : ` (${res.statusText || 'error'})`}.`,
    );
  } catch (err) {
    return done(false, err instanceof Error ? err.message || err.name : String(err));
  }
}
