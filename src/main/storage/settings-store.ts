// Typed station settings over the key/value table. Every change is audited in the same
// transaction as the write, so a setting can never change without a trace.
import {
  providerName,
  settingsPatch,
  type ExecutionProviderInfo,
  type AuditRow,
  type Settings,
} from '@shared/api';
import type { z } from 'zod';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import type { AuditTrail } from './audit-trail';

export type SettingsPatch = z.output<typeof settingsPatch>;

export const GIB = 1024 ** 3;

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  operatorName: 'operator',
  retention: Object.freeze({
    keepPassEvery: 10,
    maxStoreBytes: 5 * GIB,
    minFreeBytes: GIB,
    minFreePercent: 5,
  }),
  providerOrder: Object.freeze(['cuda', 'dml', 'coreml', 'webgpu', 'cpu']) as unknown as Array<
    ExecutionProviderInfo['name']
  >,
});

/** Keys that must never leak into the Settings DTO (secrets, bookkeeping). */
const INTERNAL_PREFIX = 'internal.';

/** One stored key per leaf, so the audit row for a change names exactly what moved. */
const LEAVES = {
  operatorName: (s: Settings) => s.operatorName,
  'retention.keepPassEvery': (s: Settings) => s.retention.keepPassEvery,
  'retention.maxStoreBytes': (s: Settings) => s.retention.maxStoreBytes,
  'retention.minFreeBytes': (s: Settings) => s.retention.minFreeBytes,
  'retention.minFreePercent': (s: Settings) => s.retention.minFreePercent,
  providerOrder: (s: Settings) => s.providerOrder,
} as const;
type LeafKey = keyof typeof LEAVES;
const LEAF_KEYS = Object.keys(LEAVES) as LeafKey[];

export interface SettingsUpdateResult {
  settings: Settings;
  /** One row per changed key; empty when the patch changed nothing. */
  audit: AuditRow[];
}

export class SettingsStore {
  private readonly read: Statement<[string], { value_json: string }>;
  private readonly write: Statement<[string, string]>;
  private readonly remove: Statement<[string]>;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditTrail,
  ) {
    this.read = db.prepare('SELECT value_json FROM settings WHERE key = ?');
    this.write = db.prepare(
      'INSERT INTO settings (key, value_json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json',
    );
    this.remove = db.prepare('DELETE FROM settings WHERE key = ?');
  }

  get(): Settings {
    const stored = (key: LeafKey): unknown => {
      const row = this.read.get(key);
      return row ? parseJson(key, row.value_json) : undefined;
    };
    const name = stored('operatorName');
    const every = stored('retention.keepPassEvery');
    const max = stored('retention.maxStoreBytes');
    const minFree = stored('retention.minFreeBytes');
    const minFreePct = stored('retention.minFreePercent');
    const order = stored('providerOrder');
    return {
      operatorName: typeof name === 'string' && name.trim() ? name : DEFAULT_SETTINGS.operatorName,
      retention: {
        keepPassEvery: isPositiveInt(every) ? every : DEFAULT_SETTINGS.retention.keepPassEvery,
        maxStoreBytes: isPositiveInt(max) ? max : DEFAULT_SETTINGS.retention.maxStoreBytes,
        minFreeBytes: isPositiveInt(minFree) ? minFree : DEFAULT_SETTINGS.retention.minFreeBytes,
        minFreePercent:
          typeof minFreePct === 'number' && minFreePct >= 0 && minFreePct <= 50
            ? minFreePct
            : DEFAULT_SETTINGS.retention.minFreePercent,
      },
      providerOrder: parseProviderOrder(order) ?? [...DEFAULT_SETTINGS.providerOrder],
    };
  }

  update(patch: SettingsPatch, actor: string, reason: string): SettingsUpdateResult {
    const checked = settingsPatch.parse(patch);
    return this.db.transaction((): SettingsUpdateResult => {
      const before = this.get();
      const after: Settings = {
        operatorName: checked.operatorName ?? before.operatorName,
        retention: { ...before.retention, ...stripUndefined(checked.retention ?? {}) },
        providerOrder: checked.providerOrder ? [...checked.providerOrder] : before.providerOrder,
      };
      const audit: AuditRow[] = [];
      for (const key of LEAF_KEYS) {
        const oldJson = JSON.stringify(LEAVES[key](before));
        const newJson = JSON.stringify(LEAVES[key](after));
        if (oldJson === newJson) continue;
        this.write.run(key, newJson);
        audit.push(
          this.audit.append({
            actor,
            action: 'settings.update',
            entity: `settings.${key}`,
            oldValue: oldJson,
            newValue: newJson,
            reason,
          }),
        );
      }
      return { settings: this.get(), audit };
    })();
  }

  getInternal<T = unknown>(key: string): T | undefined {
    const row = this.read.get(internalKey(key));
    return row ? (parseJson(key, row.value_json) as T) : undefined;
  }

  /**
   * Internal values may be secrets (the access token hash), so the audit row records who
   * changed which key and why, never the value itself.
   */
  setInternal(key: string, value: unknown, audit?: { actor: string; reason: string }): void {
    const k = internalKey(key);
    this.db.transaction(() => {
      if (value === undefined) this.remove.run(k);
      else this.write.run(k, JSON.stringify(value));
      if (audit) {
        this.audit.append({
          actor: audit.actor,
          action: value === undefined ? 'internal.delete' : 'internal.set',
          entity: `settings.${k}`,
          reason: audit.reason,
        });
      }
    })();
  }
}

function internalKey(key: string): string {
  if (!/^[a-z0-9_.-]{1,100}$/i.test(key)) throw new Error(`Invalid internal settings key "${key}".`);
  return key.startsWith(INTERNAL_PREFIX) ? key : INTERNAL_PREFIX + key;
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`Stored setting "${key}" is not valid JSON; the settings table was edited by hand.`);
  }
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function parseProviderOrder(v: unknown): Array<ExecutionProviderInfo['name']> | null {
  const parsed = providerName.array().min(1).safeParse(v);
  return parsed.success ? parsed.data : null;
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
