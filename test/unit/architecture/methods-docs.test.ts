// docs/methods.md keeps pace with the registry: every registered method has its section (published
// recipe beside this station's, presets, and a measured effect that names the command behind it).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METHODS } from '../../../src/main/methods/registry';

const DOC = readFileSync(resolve(__dirname, '../../../docs/methods.md'), 'utf8');

/** The text of the `## … (`src/main/methods/<id>`)` section, up to the next heading of that level. */
function section(id: string): string | null {
  const start = DOC.indexOf(`(\`src/main/methods/${id}\`)`);
  if (start < 0) return null;
  const headingStart = DOC.lastIndexOf('\n## ', start);
  const next = DOC.indexOf('\n## ', start);
  return DOC.slice(headingStart, next < 0 ? undefined : next);
}

describe('docs/methods.md', () => {
  it.each(METHODS.map((m) => [m.id, m] as const))('has a complete section for %s', (id, method) => {
    const text = section(id);
    if (!text) throw new Error(`docs/methods.md has no "## … (\`src/main/methods/${id}\`)" section`);
    expect(text).toMatch(/\|\s*published \(/);
    expect(text).toMatch(/\|\s*this station\s*\|/);
    // Every preset the registry offers is named there.
    for (const p of method.presets) expect(text).toContain(`\`${p.id}\``);
    // A measured effect comes with the command that produced it.
    expect(text).toMatch(/Measured effect[^]*`(npm run (station|bench) -- |npx tsx )[^`]+`/);
  });

  it('claims no method is missing that the registry has', () => {
    expect(DOC).not.toMatch(/not registered yet/i);
  });
});
