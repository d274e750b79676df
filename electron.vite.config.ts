import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

const shared = { '@shared': resolve(__dirname, 'src/shared') };

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
          'patchcore-fit-worker': resolve(__dirname, 'src/main/methods/patchcore/fit.worker.ts'),
          'dfr-fit-worker': resolve(__dirname, 'src/main/methods/dfr/fit.worker.ts'),
          'draem-fit-worker': resolve(__dirname, 'src/main/methods/draem/fit.worker.ts'),
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
