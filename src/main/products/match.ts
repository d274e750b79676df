// Does a model fit a product? A bottle model deployed onto a plate line judges every plate as a
// defect (issue 19), so a deploy is checked against what the station knows about the product:
// the product a model was trained for, and the training sets and input shapes of the models this
// product ran before. Scores cannot tell (the model has never seen the product), so the check
// looks only at lineage; a mismatch is a warning someone must accept, never a silent deploy.
import type { ProductMismatch } from '@shared/products';
import type { ModelVersionDto } from '@shared/training';

export interface MatchProduct {
  id: string;
  name: string;
}

type Lineage = Pick<ModelVersionDto, 'id' | 'fingerprint' | 'inputSize' | 'training' | 'productId'>;

/** Aspect ratios closer than this are the same shape (a 448 preset of a 224 model, for example). */
const ASPECT_TOLERANCE = 0.1;

export function checkModelForProduct(
  product: MatchProduct,
  model: Lineage,
  /** Models deployed for this product before (any order, the candidate itself may be among them). */
  history: readonly Lineage[],
  /** Product names by id, for messages. */
  productName: (id: string) => string | null = () => null,
): ProductMismatch[] {
  const out: ProductMismatch[] = [];
  const earlier = history.filter((h) => h.id !== model.id);
  const trainedFor = model.productId;
  if (trainedFor && trainedFor !== product.id) {
    const other = productName(trainedFor);
    out.push({
      level: 'warn',
      code: 'other_product',
      message: `${model.id} was trained for product ${other ? `"${other}" (${trainedFor})` : `"${trainedFor}"`}, not "${product.name}".`,
    });
  }
  if (trainedFor !== product.id && earlier.length > 0) {
    const sameImages = earlier.some((h) => h.fingerprint !== null && h.fingerprint === model.fingerprint);
    const sameFolder =
      model.training.goodDir !== null &&
      earlier.some(
        (h) => h.training.goodDir !== null && samePath(h.training.goodDir, model.training.goodDir!),
      );
    if (!sameImages && !sameFolder) {
      const folders = [...new Set(earlier.map((h) => h.training.goodDir).filter((d): d is string => !!d))];
      out.push({
        level: 'warn',
        code: 'training_set',
        message:
          (model.training.goodDir
            ? `${model.id} was trained on images from ${model.training.goodDir}, which no earlier model of "${product.name}" used`
            : model.fingerprint
              ? `${model.id} was trained on a set of images (${short(model.fingerprint)}) that no earlier model of "${product.name}" used`
              : `${model.id} has no record of its training images (imported), so no earlier model of "${product.name}" can vouch for it`) +
          (folders.length ? ` (they were trained on ${folders.slice(0, 3).join(', ')}).` : '.'),
      });
    }
  }
  if (earlier.length > 0 && model.inputSize.width > 0 && model.inputSize.height > 0) {
    const aspect = model.inputSize.width / model.inputSize.height;
    const shapes = earlier.filter((h) => h.inputSize.width > 0 && h.inputSize.height > 0);
    if (
      shapes.length > 0 &&
      shapes.every((h) => Math.abs(h.inputSize.width / h.inputSize.height / aspect - 1) > ASPECT_TOLERANCE)
    ) {
      const s = shapes[shapes.length - 1].inputSize;
      out.push({
        level: 'warn',
        code: 'input_size',
        message: `${model.id} looks at ${model.inputSize.width}×${model.inputSize.height} images; "${product.name}" ran ${s.width}×${s.height} (a different shape).`,
      });
    }
  }
  if (!trainedFor && earlier.length === 0) {
    out.push({
      level: 'info',
      code: 'unverified',
      message: `Nothing to check ${model.id} against: it was not trained for a product and "${product.name}" has no earlier model. Check the first parts on Live.`,
    });
  }
  return out;
}

export function needsAcknowledgement(warnings: readonly ProductMismatch[]): boolean {
  return warnings.some((w) => w.level === 'warn');
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '');
  return norm(a) === norm(b);
}

function short(fp: string): string {
  return fp.slice(0, 12);
}
