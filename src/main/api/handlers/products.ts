// Products (recipes): list, create, change, check a model against a product, deploy per product
// and switch the line to a product. Switching carries out the recipe in the order that can fail
// least harmfully: the model loads first (a failure changes nothing), then thresholds and outputs,
// then the product is marked and a new run starts.
import { ApiError, type ApiParsedRequest } from '@shared/api';
import type { ProductCheck, ProductDto, ProductList } from '@shared/products';
import type { ModelVersionDto } from '@shared/training';
import { outputsConfigSchema } from '../../devices/config';
import { checkModelForProduct, needsAcknowledgement } from '../../products/match';
import type { SourceConfig } from '../../sources/config';
import type { ApiHandlers } from '../dispatch';
import { LAST_SOURCE_KEY, OUTPUTS_CONFIG_KEY, type StationContext } from './context';
import { parseSource } from './sources';

export interface ProductOps {
  check(productId: string, modelId: string): ProductCheck;
  /**
   * Deploys a version to the line. With a product selected it becomes that product's model, after
   * the mismatch check: warnings must be accepted (`acknowledge`) or the deploy is refused.
   */
  deployForLine(
    modelId: string,
    who: { actor: string; reason: string },
    opts?: { change?: 'deployed' | 'rolled_back'; acknowledge?: boolean },
  ): Promise<ModelVersionDto>;
}

export function productOps(s: StationContext): ProductOps {
  const { products, models, deployVersion, events } = s;
  const check = (productId: string, modelId: string): ProductCheck => {
    const product = products.get(productId);
    if (!product) throw new ApiError('not_found', `Product "${productId}" does not exist.`);
    const model = models.get(modelId);
    if (!model) throw new ApiError('not_found', `Model version ${modelId} does not exist.`);
    const history = products
      .deployedModelIds(productId)
      .map((id) => models.get(id))
      .filter((m): m is ModelVersionDto => m !== null);
    return {
      productId,
      modelId,
      warnings: checkModelForProduct(product, model, history, (id) => products.get(id)?.name ?? null),
    };
  };
  return {
    check,
    async deployForLine(modelId, who, opts = {}) {
      const product = products.active();
      if (!product) return deployVersion(modelId, who.actor, who.reason, opts.change);
      const { warnings } = check(product.id, modelId);
      // A rollback is the way back from a bad deploy; it must never be held up by a question.
      if (opts.change !== 'rolled_back' && needsAcknowledgement(warnings) && !opts.acknowledge) {
        throw mismatchError(product, modelId, warnings);
      }
      const deployed = await deployVersion(modelId, who.actor, who.reason, opts.change);
      if (product.modelId !== modelId) {
        const after = products.setModel(product.id, modelId, warnings, who);
        applyThresholds(s.live, after, who.actor, `model ${modelId} deployed for product "${product.name}"`);
        events.emit('products.changed', { activeId: product.id, id: product.id, change: 'deployed' });
      }
      return deployed;
    },
  };
}

function mismatchError(product: ProductDto, modelId: string, warnings: ProductCheck['warnings']): ApiError {
  const list = warnings.filter((w) => w.level === 'warn').map((w) => w.message);
  return new ApiError(
    'conflict',
    `${modelId} may not fit product "${product.name}": ${list.join(' ')} Deploy anyway only if you are sure (accept the warning).`,
  );
}

export function productHandlers(
  s: StationContext,
  ops: ProductOps,
): Pick<
  ApiHandlers,
  | 'products.list'
  | 'products.get'
  | 'products.create'
  | 'products.update'
  | 'products.check'
  | 'products.deploy'
  | 'products.activate'
> {
  const { products, live, events, audit, settings, devices, stationCall, startSource, deployVersion } = s;
  const list = (): ProductList => ({ products: products.list(), activeId: products.active()?.id ?? null });
  const changed = (id: string | null, change: 'created' | 'updated' | 'deployed' | 'activated') =>
    events.emit('products.changed', { activeId: products.active()?.id ?? null, id, change });

  const applyOutputs = async (config: Record<string, unknown>, actor: string, reason: string) => {
    const before = devices.getConfig();
    if (JSON.stringify(before) === JSON.stringify(outputsConfigSchema.parse(config))) return;
    const after = await devices.configure(config);
    settings.setInternal(OUTPUTS_CONFIG_KEY, after);
    audit.append({
      actor,
      action: 'devices.configure',
      entity: 'devices.outputs',
      oldValue: JSON.stringify(before),
      newValue: JSON.stringify(after),
      reason,
    });
  };

  return {
    'products.list': () => list(),
    'products.get': (req: ApiParsedRequest<'products.get'>) => {
      const product = products.get(req.id);
      if (!product) throw new ApiError('not_found', `Product "${req.id}" does not exist.`);
      return { product, deployments: products.deployments(req.id) };
    },
    'products.create': (req: ApiParsedRequest<'products.create'>) => {
      validateRecipe(req);
      if (req.thresholds) {
        throw new ApiError(
          'bad_request',
          'A new product has no model yet, and thresholds belong to a model: deploy one, then set them.',
        );
      }
      const created = products.create(
        req.id,
        {
          name: req.name,
          source: req.source,
          thresholds: req.thresholds,
          outputs: req.outputs,
          notes: req.notes,
        },
        { actor: req.actor, reason: req.reason },
      );
      changed(created.id, 'created');
      return created;
    },
    'products.update': (req: ApiParsedRequest<'products.update'>) =>
      stationCall(async () => {
        validateRecipe(req);
        const current = products.get(req.id);
        if (!current) throw new ApiError('not_found', `Product "${req.id}" does not exist.`);
        if (req.thresholds && !current.modelId) {
          throw new ApiError(
            'conflict',
            `Product "${current.name}" has no model yet; thresholds belong to a model. Deploy one first.`,
          );
        }
        const { after } = products.update(
          req.id,
          {
            name: req.name,
            source: req.source,
            thresholds: req.thresholds,
            outputs: req.outputs,
            notes: req.notes,
          },
          { actor: req.actor, reason: req.reason },
        );
        // The selected product's change takes effect on the line at once (source at the next start).
        if (after.active) {
          const why = `product "${after.name}" changed: ${req.reason}`;
          if (req.thresholds !== undefined) applyThresholds(live, after, req.actor, why);
          if (req.outputs) await applyOutputs(req.outputs, req.actor, why);
          if (req.source) saveLastSource(parseSource(req.source), req.actor, why);
        }
        changed(after.id, 'updated');
        return after;
      }),
    'products.check': (req: ApiParsedRequest<'products.check'>) => ops.check(req.id, req.modelId),
    'products.deploy': (req: ApiParsedRequest<'products.deploy'>) =>
      stationCall(async () => {
        const product = products.get(req.id);
        if (!product) throw new ApiError('not_found', `Product "${req.id}" does not exist.`);
        const { warnings } = ops.check(req.id, req.modelId);
        if (needsAcknowledgement(warnings) && !req.acknowledgeMismatch) {
          throw mismatchError(product, req.modelId, warnings);
        }
        const who = { actor: req.actor, reason: req.reason };
        // The line's product: the model goes live first, so the table never names one that cannot load.
        if (product.active)
          await deployVersion(req.modelId, req.actor, `for product "${product.name}": ${req.reason}`);
        const after = products.setModel(req.id, req.modelId, warnings, who);
        if (after.active)
          applyThresholds(
            live,
            after,
            req.actor,
            `model ${req.modelId} deployed for product "${after.name}"`,
          );
        changed(after.id, 'deployed');
        return after;
      }),
    'products.activate': (req: ApiParsedRequest<'products.activate'>) =>
      stationCall(async () => {
        const who = { actor: req.actor, reason: req.reason };
        const wasRunning = live.stats().running;
        if (req.id === null) {
          products.markActive(null, who);
          live.setProduct(null);
        } else {
          const p = products.get(req.id);
          if (!p) throw new ApiError('not_found', `Product "${req.id}" does not exist.`);
          if (!p.modelId) {
            throw new ApiError(
              'conflict',
              `Product "${p.name}" has no model yet: deploy a model for it first (Products screen).`,
            );
          }
          const why = `product "${p.name}" selected: ${req.reason}`;
          if (live.state().model?.id !== p.modelId || s.models.active()?.id !== p.modelId) {
            await deployVersion(p.modelId, req.actor, why);
          }
          applyThresholds(live, p, req.actor, why);
          if (p.outputs) await applyOutputs(p.outputs, req.actor, why);
          if (p.source) saveLastSource(parseSource(p.source), req.actor, why);
          products.markActive(p.id, who);
          live.setProduct(p);
        }
        // A product change is a new run: restart the line on the product's source, or on the one
        // it runs (the demo line is not a saved source).
        if (wasRunning) {
          const own = req.id !== null ? products.get(req.id)?.source : null;
          const running = live.currentSource();
          if (own) await startSource(parseSource(own), req.actor, req.reason);
          else if (running) await live.start(running);
        }
        changed(req.id, 'activated');
        return list();
      }),
  };

  function saveLastSource(source: SourceConfig, actor: string, reason: string): void {
    const previous = settings.getInternal<SourceConfig>(LAST_SOURCE_KEY);
    if (JSON.stringify(previous) === JSON.stringify(source)) return;
    settings.setInternal(LAST_SOURCE_KEY, source);
    audit.append({
      actor,
      action: 'station.source',
      entity: 'station.source',
      oldValue: previous ? JSON.stringify(previous) : null,
      newValue: JSON.stringify(source),
      reason,
    });
  }
}

/**
 * The product's thresholds on the line, when its model is the one the line runs; without its own,
 * the model package's, never thresholds another product left on the same model.
 */
function applyThresholds(live: StationContext['live'], p: ProductDto, actor: string, reason: string): void {
  const m = live.state().model;
  if (!m || m.id !== p.modelId) return;
  const target = p.thresholds ?? m.packageThresholds;
  if (m.thresholds.t1 === target.t1 && m.thresholds.t2 === target.t2) return;
  live.setThresholds(target, actor, reason);
}

/** Source and outputs are checked by their own schemas before anything is stored. */
function validateRecipe(req: {
  source?: Record<string, unknown> | null;
  outputs?: Record<string, unknown> | null;
}): void {
  if (req.source) parseSource(req.source);
  if (req.outputs) {
    const r = outputsConfigSchema.safeParse(req.outputs);
    if (!r.success) {
      throw new ApiError(
        'bad_request',
        `Invalid outputs: ${r.error.issues.map((i) => `${i.path.join('.') || '(outputs)'}: ${i.message}`).join('; ')}`,
      );
    }
  }
}
