// Principal axes of feature rows (PatchCore's default projection): rows that vary along two known
// directions in six dimensions give back exactly those two directions.
import { describe, expect, it } from 'vitest';
import { principalAxes } from '../../../src/main/methods/common/principal-axes';
import { createRng } from '../../../src/main/util/rng';

describe('principalAxes', () => {
  it('finds the directions the rows vary along, as orthonormal columns, with the variance they keep', async () => {
    const rng = createRng(9);
    const c = 6;
    const u = [1, 1, 0, 0, 1, 0].map((x) => x / Math.sqrt(3));
    const w = [0, 0, 1, -1, 0, 0].map((x) => x / Math.sqrt(2));
    const r = 4000;
    const rows = new Float32Array(r * c);
    for (let i = 0; i < r; i++) {
      const a = 3 * rng.normal();
      const b = 2 * rng.normal();
      for (let j = 0; j < c; j++) rows[i * c + j] = a * u[j] + b * w[j] + 0.05 * rng.normal() + 7;
    }
    const axes = await principalAxes(rows, c, 2);
    expect(axes.k).toBe(2);
    const col = (j: number) => Array.from({ length: c }, (_, i) => axes.matrix[i * 2 + j]);
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i], 0);
    // First axis ± u (variance 9), second ± w (variance 4).
    expect(Math.abs(dot(col(0), u))).toBeCloseTo(1, 3);
    expect(Math.abs(dot(col(1), w))).toBeCloseTo(1, 3);
    expect(dot(col(0), col(1))).toBeCloseTo(0, 6);
    // 13 of 13 + 6·0.0025 of the variance.
    expect(axes.explained).toBeGreaterThan(0.998);
    expect(axes.explained).toBeLessThan(1);

    const one = await principalAxes(rows, c, 1);
    expect(one.explained).toBeCloseTo(9 / 13, 1);
    await expect(principalAxes(rows, c, 7)).rejects.toThrow(/k must be in 1\.\.6/);
  });
});
