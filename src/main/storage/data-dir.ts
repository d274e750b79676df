// Where the station keeps its state. One resolution rule for Electron, headless and CLI:
// an explicit --data-dir wins, then STATION_DATA_DIR, then the caller's platform default.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface DataDirPaths {
  root: string;
  database: string;
  images: string;
  models: string;
  cache: string;
}

export interface ResolveDataDirOptions {
  cliArg?: string | null;
  env?: string | null;
  fallback: string;
}

export function resolveDataDir({ cliArg, env, fallback }: ResolveDataDirOptions): DataDirPaths {
  const chosen = [cliArg, env, fallback].find((p): p is string => typeof p === 'string' && p.trim() !== '');
  if (!chosen)
    throw new Error('No data directory given: pass --data-dir, set STATION_DATA_DIR or a fallback.');
  const root = resolve(chosen.trim());
  const paths: DataDirPaths = {
    root,
    database: join(root, 'station.db'),
    images: join(root, 'images'),
    models: join(root, 'models'),
    cache: join(root, 'cache'),
  };
  try {
    for (const dir of [paths.root, paths.images, paths.models, paths.cache])
      mkdirSync(dir, { recursive: true });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(`Cannot use data directory ${root}: ${detail}`, { cause: err });
  }
  return paths;
}
