// Products in the `products` table, with every change audited in the same transaction as the write
// (who, why, old and new value). At most one product is active (a unique partial index); the
// station marks it after the switch has been carried out, so the table never names a product the
// line is not running.
import type { ProductDeploymentDto, ProductDto, ProductMismatch } from '@shared/products';
import type { Thresholds } from '@shared/station';
import type { AuditTrail } from '../storage/audit-trail';
import type { Db } from '../storage/database';
import { DomainError } from '../util/errors';

interface ProductRow {
  id: string;
  name: string;
  source_json: string | null;
  model_id: string | null;
  t1: number | null;
  t2: number | null;
  outputs_json: string | null;
  notes: string | null;
  created_at: string;
  updated_at: string;
  active: number;
}

export interface ProductFields {
  name: string;
  source: Record<string, unknown> | null;
  thresholds: Thresholds | null;
  outputs: Record<string, unknown> | null;
  notes: string | null;
}

export type ProductPatch = Partial<ProductFields>;

export interface Who {
  actor: string;
  reason: string;
}

export const PRODUCT_ID_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** A product id from its name: "Plate A (steel)" → "plate-a-steel". */
export function productIdFrom(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug || 'product';
}

export class ProductStore {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditTrail,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(): ProductDto[] {
    return (this.db.prepare('SELECT * FROM products ORDER BY name COLLATE NOCASE').all() as ProductRow[]).map(
      toDto,
    );
  }

  get(id: string): ProductDto | null {
    const row = this.db.prepare('SELECT * FROM products WHERE id = ?').get(id) as ProductRow | undefined;
    return row ? toDto(row) : null;
  }

  require(id: string): ProductDto {
    const p = this.get(id);
    if (!p) throw new DomainError('not_found', `Product "${id}" does not exist.`);
    return p;
  }

  active(): ProductDto | null {
    const row = this.db.prepare('SELECT * FROM products WHERE active = 1').get() as ProductRow | undefined;
    return row ? toDto(row) : null;
  }

  create(id: string | undefined, fields: ProductFields, who: Who): ProductDto {
    const productId = id ?? this.freeId(productIdFrom(fields.name));
    if (!PRODUCT_ID_RE.test(productId)) {
      throw new DomainError('invalid', `Product id "${productId}": use lower-case letters, digits and "-".`);
    }
    return this.db.transaction(() => {
      if (this.get(productId)) throw new DomainError('conflict', `Product id "${productId}" is taken.`);
      this.assertNameFree(fields.name, null);
      const at = this.now().toISOString();
      this.db
        .prepare(
          `INSERT INTO products (id, name, source_json, model_id, t1, t2, outputs_json, notes, created_at, updated_at)
           VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          productId,
          fields.name,
          json(fields.source),
          fields.thresholds?.t1 ?? null,
          fields.thresholds?.t2 ?? null,
          json(fields.outputs),
          fields.notes,
          at,
          at,
        );
      const created = this.require(productId);
      this.audit.append({
        actor: who.actor,
        action: 'products.create',
        entity: `product:${productId}`,
        newValue: JSON.stringify(recipe(created)),
        reason: who.reason,
      });
      return created;
    })();
  }

  update(id: string, patch: ProductPatch, who: Who): { before: ProductDto; after: ProductDto } {
    return this.db.transaction(() => {
      const before = this.require(id);
      if (patch.name !== undefined) this.assertNameFree(patch.name, id);
      const next: ProductFields = {
        name: patch.name ?? before.name,
        source: patch.source !== undefined ? patch.source : before.source,
        thresholds: patch.thresholds !== undefined ? patch.thresholds : before.thresholds,
        outputs: patch.outputs !== undefined ? patch.outputs : before.outputs,
        notes: patch.notes !== undefined ? patch.notes : before.notes,
      };
      this.db
        .prepare(
          `UPDATE products SET name = ?, source_json = ?, t1 = ?, t2 = ?, outputs_json = ?, notes = ?, updated_at = ?
           WHERE id = ?`,
        )
        .run(
          next.name,
          json(next.source),
          next.thresholds?.t1 ?? null,
          next.thresholds?.t2 ?? null,
          json(next.outputs),
          next.notes,
          this.now().toISOString(),
          id,
        );
      const after = this.require(id);
      if (JSON.stringify(recipe(before)) !== JSON.stringify(recipe(after))) {
        this.audit.append({
          actor: who.actor,
          action: 'products.update',
          entity: `product:${id}`,
          oldValue: JSON.stringify(recipe(before)),
          newValue: JSON.stringify(recipe(after)),
          reason: who.reason,
        });
      }
      return { before, after };
    })();
  }

  /**
   * The product's model from now on, remembered in its deployment history with accepted warnings.
   * A different model drops the product's thresholds: they were chosen on the old model's scores
   * and mean nothing on the new one's, so its own calibrated thresholds apply.
   */
  setModel(id: string, modelId: string, warnings: readonly ProductMismatch[], who: Who): ProductDto {
    return this.db.transaction(() => {
      const before = this.require(id);
      const at = this.now().toISOString();
      const keep = before.modelId === modelId;
      this.db
        .prepare(
          `UPDATE products SET model_id = ?, t1 = CASE WHEN ? THEN t1 END, t2 = CASE WHEN ? THEN t2 END,
           updated_at = ? WHERE id = ?`,
        )
        .run(modelId, keep ? 1 : 0, keep ? 1 : 0, at, id);
      this.db
        .prepare(
          `INSERT INTO product_deployments (product_id, model_id, deployed_at, deployed_by, warnings_json)
           VALUES (?, ?, ?, ?, ?)`,
        )
        .run(id, modelId, at, who.actor, JSON.stringify(warnings));
      this.audit.append({
        actor: who.actor,
        action: 'products.deploy',
        entity: `product:${id}`,
        oldValue: JSON.stringify({ modelId: before.modelId, thresholds: before.thresholds }),
        newValue: JSON.stringify({
          modelId,
          thresholds: keep ? before.thresholds : null,
          acceptedWarnings: warnings.filter((w) => w.level === 'warn').map((w) => w.message),
        }),
        reason: who.reason,
      });
      return this.require(id);
    })();
  }

  /** Marks `id` the line's product (null: none); called once the switch has been carried out. */
  markActive(id: string | null, who: Who): ProductDto | null {
    return this.db.transaction(() => {
      const before = this.active();
      if (id !== null) this.require(id);
      this.db.prepare('UPDATE products SET active = 0 WHERE active = 1').run();
      if (id !== null) this.db.prepare('UPDATE products SET active = 1 WHERE id = ?').run(id);
      const after = id !== null ? this.require(id) : null;
      this.audit.append({
        actor: who.actor,
        action: 'products.activate',
        entity: `product:${id ?? '(none)'}`,
        oldValue: before ? JSON.stringify({ id: before.id, name: before.name }) : null,
        newValue: after ? JSON.stringify({ id: after.id, name: after.name, ...recipe(after) }) : null,
        reason: who.reason,
      });
      return after;
    })();
  }

  deployments(id: string): ProductDeploymentDto[] {
    const rows = this.db
      .prepare(
        `SELECT model_id, deployed_at, deployed_by, warnings_json FROM product_deployments
         WHERE product_id = ? ORDER BY id DESC LIMIT 200`,
      )
      .all(id) as Array<{
      model_id: string;
      deployed_at: string;
      deployed_by: string;
      warnings_json: string;
    }>;
    return rows.map((r) => ({
      modelId: r.model_id,
      deployedAt: r.deployed_at,
      deployedBy: r.deployed_by,
      warnings: parse<ProductMismatch[]>(r.warnings_json) ?? [],
    }));
  }

  /** Every model ever deployed for the product (distinct ids). */
  deployedModelIds(id: string): string[] {
    return (
      this.db
        .prepare('SELECT DISTINCT model_id FROM product_deployments WHERE product_id = ?')
        .all(id) as Array<{ model_id: string }>
    ).map((r) => r.model_id);
  }

  private freeId(base: string): string {
    let id = base;
    for (let n = 2; this.get(id); n++) id = `${base.slice(0, 36)}-${n}`;
    return id;
  }

  private assertNameFree(name: string, except: string | null): void {
    const row = this.db
      .prepare('SELECT id FROM products WHERE name = ? COLLATE NOCASE AND id IS NOT ?')
      .get(name, except) as { id: string } | undefined;
    if (row) throw new DomainError('conflict', `A product named "${name}" exists already (${row.id}).`);
  }
}

/** What the audit rows record of a product: everything that changes what the line does. */
function recipe(p: ProductDto): Record<string, unknown> {
  return {
    name: p.name,
    source: p.source,
    modelId: p.modelId,
    thresholds: p.thresholds,
    outputs: p.outputs,
    notes: p.notes,
  };
}

function json(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

function parse<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

function toDto(r: ProductRow): ProductDto {
  return {
    id: r.id,
    name: r.name,
    source: parse<Record<string, unknown>>(r.source_json),
    modelId: r.model_id,
    thresholds: r.t1 !== null && r.t2 !== null ? { t1: r.t1, t2: r.t2 } : null,
    outputs: parse<Record<string, unknown>>(r.outputs_json),
    notes: r.notes,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    active: r.active === 1,
  };
}
