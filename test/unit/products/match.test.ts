// The model/product mismatch check: which lineage facts warn, and which do not.
import { describe, expect, it } from 'vitest';
import { checkModelForProduct, needsAcknowledgement } from '../../../src/main/products/match';
import { productIdFrom } from '../../../src/main/products/store';

const product = { id: 'plate-a', name: 'Plate A' };
function model(
  id: string,
  o: { productId?: string | null; fp?: string | null; dir?: string | null; w?: number; h?: number } = {},
) {
  return {
    id,
    productId: o.productId ?? null,
    fingerprint: o.fp === undefined ? `fp-${id}` : o.fp,
    inputSize: { width: o.w ?? 256, height: o.h ?? 256 },
    training: { goodDir: o.dir ?? null, defectDir: null, imageCount: 10, calibrationCount: 2 },
  };
}

describe('checkModelForProduct', () => {
  it('accepts a model trained for the product without a question', () => {
    const w = checkModelForProduct(product, model('m2', { productId: 'plate-a', dir: '/new' }), [
      model('m1', { dir: '/old' }),
    ]);
    expect(w).toEqual([]);
  });

  it('warns when the model was trained for another product, naming it', () => {
    const w = checkModelForProduct(product, model('b1', { productId: 'bottle' }), [], (id) =>
      id === 'bottle' ? 'Bottle 500' : null,
    );
    expect(w.map((x) => x.code)).toEqual(['other_product']);
    expect(w[0].message).toMatch(/trained for product "Bottle 500" \(bottle\), not "Plate A"/);
    expect(needsAcknowledgement(w)).toBe(true);
  });

  it('warns when neither training images nor folder match any earlier model of the product', () => {
    const history = [model('m1', { dir: '/data/plates/good' })];
    const other = checkModelForProduct(product, model('x', { dir: '/data/bottles/good' }), history);
    expect(other.map((x) => x.code)).toEqual(['training_set']);
    expect(other[0].message).toMatch(/\/data\/bottles\/good.*\/data\/plates\/good/);
    // Same folder (retrained with more images) or the very same images: no warning.
    expect(checkModelForProduct(product, model('y', { dir: '/data/plates/good/' }), history)).toEqual([]);
    expect(checkModelForProduct(product, model('z', { fp: 'fp-m1' }), history)).toEqual([]);
  });

  it('warns on a different input shape, not on a different size of the same shape', () => {
    const history = [model('m1', { dir: '/d', w: 224, h: 224 })];
    expect(checkModelForProduct(product, model('big', { dir: '/d', w: 448, h: 448 }), history)).toEqual([]);
    const wide = checkModelForProduct(product, model('wide', { dir: '/d', w: 512, h: 128 }), history);
    expect(wide.map((x) => x.code)).toEqual(['input_size']);
  });

  it('says when there is nothing to check against (info only), and skips the candidate in history', () => {
    const w = checkModelForProduct(product, model('m1'), [model('m1')]);
    expect(w).toEqual([expect.objectContaining({ level: 'info', code: 'unverified' })]);
    expect(needsAcknowledgement(w)).toBe(false);
  });
});

describe('productIdFrom', () => {
  it('makes a short lower-case id from a name', () => {
    expect(productIdFrom('Plate A (steel)')).toBe('plate-a-steel');
    expect(productIdFrom('Flasche 0,5 l – grün')).toBe('flasche-0-5-l-grun');
    expect(productIdFrom('***')).toBe('product');
  });
});
