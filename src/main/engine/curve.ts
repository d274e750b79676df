// Loss curves of a training run: every step's training loss, thinned by merging neighbouring
// points (means) so a long run stays a few hundred points, plus each validation and the best one.
import type { LossCurve, LossPoint } from '@shared/training';

const MAX_TRAIN_POINTS = 512;

export class LossCurveRecorder {
  private train: { step: number; sum: number; n: number }[] = [];
  /** Steps merged into each stored point; doubles whenever the list fills. */
  private span = 1;
  private validation: LossPoint[] = [];
  private best: LossPoint | null = null;

  addTrain(step: number, loss: number): void {
    const last = this.train.at(-1);
    if (last && last.n < this.span) {
      last.sum += loss;
      last.n++;
      last.step = step;
    } else this.train.push({ step, sum: loss, n: 1 });
    if (this.train.length > MAX_TRAIN_POINTS) {
      const merged: typeof this.train = [];
      for (let i = 0; i < this.train.length; i += 2) {
        const a = this.train[i];
        const b = this.train[i + 1];
        merged.push(b ? { step: b.step, sum: a.sum + b.sum, n: a.n + b.n } : a);
      }
      this.train = merged;
      this.span *= 2;
    }
  }

  /** Records a validation loss; true when it is the best so far. */
  addValidation(step: number, loss: number): boolean {
    this.validation.push({ step, loss });
    if (this.best && this.best.loss <= loss) return false;
    this.best = { step, loss };
    return true;
  }

  snapshot(): LossCurve {
    return {
      train: this.train.map((p) => ({ step: p.step, loss: p.sum / p.n })),
      validation: this.validation.map((p) => ({ ...p })),
      best: this.best ? { ...this.best } : null,
    };
  }

  /** Continues a curve saved in a checkpoint's meta (anything malformed is ignored). */
  restore(saved: unknown): void {
    const c = saved as Partial<LossCurve> | undefined;
    const ok = (a: unknown): a is LossPoint[] =>
      Array.isArray(a) && a.every((p) => p && Number.isFinite(p.step) && Number.isFinite(p.loss));
    if (!c || !ok(c.train) || !ok(c.validation)) return;
    this.train = c.train.map((p) => ({ step: p.step, sum: p.loss, n: 1 }));
    this.span = 1;
    this.validation = c.validation.map((p) => ({ ...p }));
    this.best = c.best && Number.isFinite(c.best.loss) ? { ...c.best } : null;
  }
}
