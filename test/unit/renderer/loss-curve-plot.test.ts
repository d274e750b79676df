// The wizard's loss-curve plot: one path per series, the best validation marked, a log scale when
// losses span orders of magnitude, and the provider line.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TrainingCurves } from '../../../src/renderer/src/components/LossCurvePlot';

const train = Array.from({ length: 40 }, (_, i) => ({ step: i + 1, loss: 5 * Math.exp(-i / 5) + 0.01 }));
const validation = [10, 20, 30, 40].map((step, i) => ({ step, loss: [0.5, 0.2, 0.25, 0.3][i] }));

describe('TrainingCurves', () => {
  it('draws training and validation paths, marks the best, uses a log scale for a wide range', () => {
    const html = renderToStaticMarkup(
      createElement(TrainingCurves, {
        curve: { train, validation, best: { step: 20, loss: 0.2 } },
        device: { provider: 'cpu', skipped: [{ name: 'cuda', reason: 'library not installed' }] },
      }),
    );
    expect(html.match(/<path /g)).toHaveLength(2);
    expect(html).toContain('data-testid="loss-curve-best"');
    expect(html).toContain('best 0.20 at step 20');
    expect(html).toContain('log scale');
    expect(html).toContain('Training runs on <strong>the CPU</strong> (cpu)');
    expect(html).toContain('cuda not used: library not installed');
  });

  it('renders nothing without a curve or device, and no log scale for a narrow range', () => {
    expect(renderToStaticMarkup(createElement(TrainingCurves, {}))).toBe('');
    const html = renderToStaticMarkup(
      createElement(TrainingCurves, {
        curve: {
          train: [
            { step: 1, loss: 1 },
            { step: 2, loss: 0.9 },
          ],
          validation: [],
          best: null,
        },
      }),
    );
    expect(html).not.toContain('log scale');
    expect(html).not.toContain('training-device');
  });
});
