import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

const shared = { '@shared': resolve(__dirname, 'src/shared') };

/**
 * One worker entry per method folder that has a fit.worker.ts, named '<folder>-fit-worker' (the
 * name each method's workerEntry gives; test/unit/methods/registry.test.ts checks they agree).
 */
export function methodWorkerEntries(root = __dirname): Record<string, string> {
  const dir = resolve(root, 'src/main/methods');
  const entries: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const file = resolve(dir, name, 'fit.worker.ts');
    if (existsSync(file)) entries[`${name}-fit-worker`] = file;
  }
  return entries;
}

// One build feeds three runtimes: the Electron main process (index), plain Node for the
// headless server (serve) and the CLI (cli). Worker entries are listed here so that worker
// threads load a real file next to the bundle.
export default defineConfig({
  main: {
    resolve: { alias: shared },
    build: {
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/app/index.ts'),
          serve: resolve(__dirname, 'src/main/server/serve.ts'),
          cli: resolve(__dirname, 'src/main/cli.ts'),
          ...methodWorkerEntries(),
          'audit-verify-worker': resolve(__dirname, 'src/main/api/audit-verify.worker.ts'),
          'inspection-read-worker': resolve(__dirname, 'src/main/api/read.worker.ts'),
        },
      },
    },
  },
  preload: {
    resolve: { alias: shared },
    build: {
      externalizeDeps: true,
      rollupOptions: { input: { index: resolve(__dirname, 'src/preload/index.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    resolve: { alias: shared },
    plugins: [react()],
    build: {
      // The same bundle is served to browsers on other PCs in headless mode.
      minify: true,
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
  },
});
