// Bank size from the data for presets with a latency budget (the default `fast`).
//
// A fixed 1 % of the training patches is too small a bank for small training sets (36 images of
// 28×28 patches: 282 rows) and larger than the latency target allows for large ones (1 000 images:
// 7 056 rows). The AUROC of the budgeted bank against `accurate`'s 10 %: docs/benchmarks.md
// "Default preset: bank from a scoring budget". Scoring costs one multiply-add per
// bank row and feature dim for every patch, so the preset states that product as its budget
// (`bankBudget`) and the bank takes as many rows as it pays for, never more than `accurate`'s 10 %
// of the patches (beyond that more rows of the same images add little).
import type { PatchCoreConfig } from './types';

/** Largest share of the training patches a budgeted bank takes (the `accurate` preset's ratio). */
export const MAX_BANK_RATIO = 0.1;

export interface BankPlan {
  rows: number;
  /** rows / patches, for reports. */
  ratio: number;
  /** 'budget': rows = bankBudget / dim; 'ratio': the 10 % cap or the fixed coresetRatio bound it. */
  limitedBy: 'budget' | 'ratio';
}

/** Bank rows for `patches` training patches of `dim` features under the config's rules. */
export function planBank(
  patches: number,
  dim: number,
  cfg: Pick<PatchCoreConfig, 'coresetRatio' | 'bankBudget'>,
): BankPlan {
  if (!(patches > 0)) throw new Error('PatchCore bank plan needs at least one training patch');
  if (!(dim > 0)) throw new Error(`PatchCore bank plan needs a positive feature dimension, got ${dim}`);
  if (cfg.bankBudget > 0) {
    const byBudget = Math.max(1, Math.floor(cfg.bankBudget / dim));
    const byRatio = Math.max(1, Math.floor(patches * MAX_BANK_RATIO));
    const rows = Math.min(byBudget, byRatio, patches);
    return { rows, ratio: rows / patches, limitedBy: byBudget <= byRatio ? 'budget' : 'ratio' };
  }
  const rows = Math.min(patches, Math.max(1, Math.floor(patches * cfg.coresetRatio)));
  return { rows, ratio: rows / patches, limitedBy: 'ratio' };
}
