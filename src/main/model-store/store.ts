// Model versions in the `models` table. A version is a folder under <dataDir>/models named after
// its id (the heatmap fit and LiveStation's default id both derive from the folder name), a row
// with the lineage (training-set fingerprint, method, backbone, preset, metrics) and at most one
// row marked active. Rows are never deleted here: rolling back needs the old versions.
// Paths are stored relative to the data directory, so a copied or moved data dir keeps working;
// absolute paths written by older versions are mapped into this data dir when they are read.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ModelVersionDto } from '@shared/training';
import { modelJsonSchema, type ModelJson } from '../models/schema';
import { packagePreset } from '../methods/registry';
import type { AuditTrail } from '../storage/audit-trail';
import type { Db } from '../storage/database';

interface ModelRow {
  id: string;
  version: number;
  method: string;
  backbone: string | null;
  path: string;
  fingerprint: string | null;
  metadata_json: string;
  created_at: string;
  active: number;
}

/** Everything the table has no column for; kept in metadata_json. */
export interface ModelMetadata {
  kind: 'native' | 'anomalib';
  /** What people call it (set when saving or importing); older rows have none. */
  name?: string | null;
  preset: string | null;
  origin: ModelVersionDto['origin'];
  thresholds: { t1: number; t2: number };
  inputSize: { width: number; height: number };
  training: ModelVersionDto['training'];
  metrics: Record<string, unknown>;
  parentId: string | null;
  notes: string | null;
  importedFrom: string | null;
  deployedAt: string | null;
  /** The product selected on the line when it was trained (absent: none, or an older version). */
  productId?: string | null;
}

export interface RegisterInput {
  id: string;
  method: string;
  backbone: string | null;
  path: string;
  fingerprint: string | null;
  meta: ModelMetadata;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class ModelStore {
  /** The data directory: models/ sits directly under it. */
  private readonly root: string;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditTrail,
    readonly modelsDir: string,
  ) {
    this.root = dirname(resolve(modelsDir));
  }

  static isValidId(id: string): boolean {
    return ID_RE.test(id);
  }

  list(): ModelVersionDto[] {
    const rows = this.db
      .prepare('SELECT * FROM models ORDER BY version DESC, created_at DESC')
      .all() as ModelRow[];
    return rows.map((r) => this.dto(r));
  }

  get(id: string): ModelVersionDto | null {
    const row = this.db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
    return row ? this.dto(row) : null;
  }

  active(): ModelVersionDto | null {
    const row = this.db.prepare('SELECT * FROM models WHERE active = 1 LIMIT 1').get() as
      ModelRow | undefined;
    return row ? this.dto(row) : null;
  }

  findByPath(path: string): ModelVersionDto | null {
    // Compared after resolving, because rows hold relative (or legacy absolute) paths.
    const wanted = resolve(path);
    return this.list().find((v) => resolve(v.path) === wanted) ?? null;
  }

  /** What goes into models.path: relative (with "/") when inside the data dir. */
  private storedPath(path: string): string {
    const rel = relative(this.root, resolve(path));
    if (!rel || rel.startsWith('..') || isAbsolute(rel)) return path;
    return rel.split(sep).join('/');
  }

  /**
   * The absolute folder of a stored path. A legacy absolute path from another data dir (this one
   * was copied from it) is mapped to the same place under this data dir when that exists, even
   * if the original is still there: a copy must not run the original's models.
   */
  resolvePath(stored: string): string {
    if (!isAbsolute(stored)) return join(this.root, ...stored.split('/'));
    const rel = relative(this.root, stored);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return stored;
    const parts = stored.split(/[\\/]+/).filter(Boolean);
    // Longest tail first; at least "<folder>/<model>" so a bare name never matches by chance.
    for (let i = 0; i <= parts.length - 2; i++) {
      const candidate = join(this.root, ...parts.slice(i));
      if (existsSync(candidate)) return candidate;
    }
    return stored;
  }

  private dto(row: ModelRow): ModelVersionDto {
    return { ...toDto(row), path: this.resolvePath(row.path) };
  }

  nextVersion(): number {
    const row = this.db.prepare('SELECT MAX(version) AS v FROM models').get() as { v: number | null };
    return (row.v ?? 0) + 1;
  }

  /** Inserts a version with its audit row in one transaction; returns it. */
  register(input: RegisterInput, audit: { actor: string; action: string; reason: string }): ModelVersionDto {
    if (!ModelStore.isValidId(input.id)) throw new Error(`invalid model id "${input.id}"`);
    return this.db.transaction(() => {
      const version = this.nextVersion();
      this.db
        .prepare(
          `INSERT INTO models (id, version, method, backbone, path, fingerprint, metadata_json, created_at, active)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
        )
        .run(
          input.id,
          version,
          input.method,
          input.backbone,
          this.storedPath(input.path),
          input.fingerprint,
          JSON.stringify(input.meta),
          new Date().toISOString(),
        );
      this.audit.append({
        actor: audit.actor,
        action: audit.action,
        entity: `model:${input.id}`,
        newValue: JSON.stringify({
          version,
          ...(input.meta.name ? { name: input.meta.name } : {}),
          method: input.method,
          backbone: input.backbone,
          fingerprint: input.fingerprint,
          thresholds: input.meta.thresholds,
          origin: input.meta.origin,
        }),
        reason: audit.reason,
      });
      return this.get(input.id)!;
    })();
  }

  /**
   * Marks `id` active (and only it) with an audit row naming the old and new version. Called
   * after LiveStation has loaded the model, so the table never names a model that cannot load.
   */
  markActive(id: string, audit: { actor: string; action: string; reason: string }): ModelVersionDto {
    return this.db.transaction(() => {
      const target = this.get(id);
      if (!target) throw new Error(`model ${id} is not registered`);
      const before = this.active();
      const now = new Date().toISOString();
      this.db.prepare('UPDATE models SET active = 0 WHERE active = 1').run();
      this.db.prepare('UPDATE models SET active = 1 WHERE id = ?').run(id);
      this.updateMeta(id, { deployedAt: now });
      this.audit.append({
        actor: audit.actor,
        action: audit.action,
        entity: `model:${id}`,
        oldValue: before ? JSON.stringify({ id: before.id, version: before.version }) : null,
        newValue: JSON.stringify({ id: target.id, version: target.version }),
        reason: audit.reason,
      });
      const history = this.deployHistory().filter((h) => h !== id);
      history.push(id);
      this.db
        .prepare(
          'INSERT INTO settings (key, value_json) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json',
        )
        .run(DEPLOY_HISTORY_KEY, JSON.stringify(history.slice(-50)));
      return this.get(id)!;
    })();
  }

  /** Ids in the order they last went live, oldest first. */
  deployHistory(): string[] {
    const row = this.db.prepare('SELECT value_json FROM settings WHERE key = ?').get(DEPLOY_HISTORY_KEY) as
      { value_json: string } | undefined;
    if (!row) return [];
    try {
      const v = JSON.parse(row.value_json) as unknown;
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  /** The version that was live before the active one (still registered, folder present). */
  previousDeployed(): ModelVersionDto | null {
    const current = this.active()?.id;
    const history = this.deployHistory();
    for (let i = history.length - 1; i >= 0; i--) {
      if (history[i] === current) continue;
      const v = this.get(history[i]);
      if (v && existsSync(v.path)) return v;
    }
    return null;
  }

  updateMeta(id: string, patch: Partial<ModelMetadata>): void {
    const row = this.db.prepare('SELECT metadata_json FROM models WHERE id = ?').get(id) as
      { metadata_json: string } | undefined;
    if (!row) return;
    const meta = { ...parseMeta(row.metadata_json), ...patch };
    this.db.prepare('UPDATE models SET metadata_json = ? WHERE id = ?').run(JSON.stringify(meta), id);
  }
}

const DEPLOY_HISTORY_KEY = 'internal.models.deploy_history';

function parseMeta(text: string): Partial<ModelMetadata> {
  try {
    return JSON.parse(text) as Partial<ModelMetadata>;
  } catch {
    return {};
  }
}

function toDto(row: ModelRow): ModelVersionDto {
  const m = parseMeta(row.metadata_json);
  return {
    id: row.id,
    name: m.name ?? null,
    version: row.version,
    method: row.method,
    kind: m.kind ?? 'native',
    backbone: row.backbone,
    preset: m.preset ?? null,
    path: row.path,
    fingerprint: row.fingerprint,
    createdAt: row.created_at,
    active: row.active === 1,
    origin: m.origin ?? 'registered',
    thresholds: m.thresholds ?? { t1: 1, t2: 1.5 },
    inputSize: m.inputSize ?? { width: 0, height: 0 },
    training: m.training ?? { goodDir: null, defectDir: null, imageCount: null, calibrationCount: null },
    metrics: m.metrics ?? {},
    parentId: m.parentId ?? null,
    notes: m.notes ?? null,
    importedFrom: m.importedFrom ?? null,
    deployedAt: m.deployedAt ?? null,
    productId: m.productId ?? null,
  };
}

/** Reads a native package's model.json (null for anomalib exports or unreadable files). */
export function readModelJson(dir: string): ModelJson | null {
  const file = join(dir, 'model.json');
  if (!existsSync(file)) return null;
  try {
    const parsed = modelJsonSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Registration data for a package already on disk (e.g. the demo model), from its model.json. */
export function describeExistingPackage(
  dir: string,
  origin: ModelVersionDto['origin'],
): RegisterInput | null {
  const json = readModelJson(dir);
  if (!json) return null;
  return {
    id: basename(dir),
    method: json.method,
    backbone: json.backbone.id,
    path: dir,
    fingerprint: json.training.fingerprint,
    meta: {
      kind: 'native',
      name: json.name ?? null,
      preset: presetOf(json),
      origin,
      thresholds: json.thresholds,
      inputSize: { width: json.input.width, height: json.input.height },
      training: {
        goodDir: null,
        defectDir: null,
        imageCount: json.training.imageCount,
        calibrationCount: json.training.calibrationCount,
      },
      metrics: {},
      parentId: null,
      notes: null,
      importedFrom: null,
      deployedAt: null,
    },
  };
}

/** The preset a package was fitted with (the registered method infers it for older packages). */
export function presetOf(json: ModelJson): string | null {
  return packagePreset(json);
}
