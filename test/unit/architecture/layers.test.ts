// One-way layers (docs/architecture.md): a module imports only its own layer or the ones below.
// This scans every import of src/main and fails on one that points upwards.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const MAIN = resolve(__dirname, '../../../src/main');

/** Layer of each top-level folder (or root file) of src/main; higher may import lower, never the reverse. */
export const LAYERS: Record<string, number> = {
  // low-level: no knowledge of methods, stations or transports
  util: 0,
  onnx: 1,
  runtime: 1,
  imaging: 1,
  engine: 1,
  storage: 1,
  jobs: 1,
  models: 1,
  'app-version': 1,
  // accounts and sessions sit on storage (settings, audit); the API and transports use them
  users: 2,
  fleet: 2,
  // core
  backbones: 2,
  synthetic: 2,
  eval: 2,
  methods: 2,
  'model-store': 2,
  sources: 2,
  devices: 2,
  station: 2,
  demo: 2,
  // products (recipes) and their model checks: storage below, handlers above
  products: 2,
  // application services
  wizard: 3,
  api: 3,
  // composition roots
  'station-services': 4,
  cli: 4,
  server: 4,
  app: 4,
};

/** Within the core, the generic helpers must not reach into what uses them. */
const FORBIDDEN: Record<string, string[]> = {
  synthetic: ['methods', 'station', 'model-store', 'eval'],
  eval: ['methods', 'station', 'model-store'],
  backbones: ['methods', 'station', 'model-store'],
  methods: ['station', 'model-store', 'demo'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.tsx?$/.test(name) ? [p] : [];
  });
}

function layerOf(file: string): string {
  const top = relative(MAIN, file).split(sep)[0];
  return top.replace(/\.tsx?$/, '');
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

export function violations(): string[] {
  const out: string[] = [];
  for (const file of files(MAIN)) {
    const from = layerOf(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      const where = `${relative(MAIN, file)} imports '${spec}'`;
      if (spec === 'electron' && from !== 'app') out.push(`${where}: only app/ may import electron`);
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(MAIN + sep)) continue;
      const to = layerOf(target);
      if (to === from) continue;
      if (!(from in LAYERS) || !(to in LAYERS)) {
        out.push(`${where}: '${!(from in LAYERS) ? from : to}' has no layer in this test`);
        continue;
      }
      if (LAYERS[to] > LAYERS[from])
        out.push(`${where}: ${from} (layer ${LAYERS[from]}) → ${to} (layer ${LAYERS[to]})`);
      if (FORBIDDEN[from]?.includes(to)) out.push(`${where}: ${from} must not depend on ${to}`);
    }
  }
  return out;
}

/** Where the transport's error type may be named: the API layer and the transports under it. */
const API_ERROR_HOMES = new Set(['api', 'server']);
const IMPORT_CLAUSE_RE = /(?:^|\n)\s*(?:import|export)\b([^'";]*?)\bfrom\s+'[^']+'/g;

/** True if a source file imports (or re-exports) ApiError or ApiErrorBody, as a value or a type. */
export function importsApiError(src: string): boolean {
  return [...src.matchAll(IMPORT_CLAUSE_RE)].some((m) => /\bApiError(?:Body)?\b/.test(m[1]));
}

/**
 * Modules outside api/ and server/ that import the transport's ApiError: core throws DomainError
 * (util/errors.ts) and the API layer maps it (api/dispatch.ts errorBodyOf), so nothing else needs
 * the wire type, not even the composition root or the wizard.
 */
export function apiErrorImportsOutsideApi(): string[] {
  return files(MAIN)
    .filter((file) => !API_ERROR_HOMES.has(layerOf(file)))
    .filter((file) => importsApiError(readFileSync(file, 'utf8')))
    .map((file) => relative(MAIN, file));
}

describe('layers', () => {
  it('every import in src/main points to its own layer or a lower one', () => {
    expect(violations()).toEqual([]);
  });

  it('modules outside api/ and server/ throw domain errors (util/errors.ts) and never import ApiError', () => {
    expect(apiErrorImportsOutsideApi()).toEqual([]);
  });

  it('the ApiError scan sees value, type, multi-line and re-export imports', () => {
    expect(importsApiError("import { ApiError } from '@shared/errors';")).toBe(true);
    expect(importsApiError("import type { ApiErrorBody } from '@shared/errors';")).toBe(true);
    expect(importsApiError("import {\n  requestSchemas,\n  ApiError,\n} from '@shared/api';")).toBe(true);
    expect(importsApiError("export { ApiError } from '@shared/errors';")).toBe(true);
    expect(importsApiError("export const n = 1;\n// ApiError\nimport { x } from './x';")).toBe(false);
    expect(importsApiError("import { DomainError } from '../util/errors';")).toBe(false);
    // A mention in a comment or a string is not an import.
    expect(importsApiError("// the API layer maps it to ApiError\nconst s = 'ApiError';")).toBe(false);
  });

  it('knows every top-level folder of src/main', () => {
    const tops = readdirSync(MAIN).map((n) => n.replace(/\.tsx?$/, ''));
    expect(tops.filter((t) => !(t in LAYERS))).toEqual([]);
  });
});
