// The wizard names every stage a method reports in words: an operator should never read "pca" or
// "validate" as the heading of a running job. The stage names are read from the methods' sources,
// so a new stage without a label fails here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STAGE_LABEL } from '../../../src/main/wizard/jobs';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('training stage labels', () => {
  it('has words for every stage the methods report', () => {
    const stages = new Set<string>();
    for (const file of sources(join(__dirname, '../../../src/main/methods'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/stage: '([a-z-]+)'|StageClock\('([a-z-]+)'/g)) stages.add(m[1] ?? m[2]);
    }
    // The scan finds the stages we know of (so a changed pattern cannot make it vacuous).
    for (const known of ['features', 'coreset', 'reduction', 'pca', 'train', 'validate', 'export'])
      expect(stages).toContain(known);
    const missing = [...stages].filter((s) => !STAGE_LABEL[s] || STAGE_LABEL[s] === s);
    expect(missing).toEqual([]);
  });
});
