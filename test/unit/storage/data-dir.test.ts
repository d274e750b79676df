import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveDataDir } from '../../../src/main/storage/data-dir';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

describe('resolveDataDir', () => {
  it('prefers the CLI argument, then the environment, then the fallback', () => {
    const [a, b, c] = ['cli', 'env', 'fallback'].map((n) => join(tmp.dir, n));
    expect(resolveDataDir({ cliArg: a, env: b, fallback: c }).root).toBe(a);
    expect(resolveDataDir({ cliArg: undefined, env: b, fallback: c }).root).toBe(b);
    expect(resolveDataDir({ cliArg: '', env: '  ', fallback: c }).root).toBe(c);
  });

  it('creates the subfolders and names the database file', () => {
    const root = join(tmp.dir, 'nested', 'station');
    const p = resolveDataDir({ fallback: root });
    expect(p).toEqual({
      root,
      database: join(root, 'station.db'),
      images: join(root, 'images'),
      models: join(root, 'models'),
      cache: join(root, 'cache'),
    });
    for (const d of [p.images, p.models, p.cache]) expect(statSync(d).isDirectory()).toBe(true);
    expect(existsSync(p.database)).toBe(false);
  });

  it('resolves relative paths to absolute ones', () => {
    const p = resolveDataDir({ fallback: join(tmp.dir, 'a', '..', 'b') });
    expect(p.root).toBe(join(tmp.dir, 'b'));
  });

  it('names the directory when it cannot be used', () => {
    const blocker = join(tmp.dir, 'file');
    writeFileSync(blocker, 'x');
    expect(() => resolveDataDir({ fallback: join(blocker, 'data') })).toThrow(
      /Cannot use data directory .*file/,
    );
  });
});
