// `npm start`: build, then open the desktop window. Without Electron's binary (an offline
// install cannot fetch it) say so in one sentence and point to the headless mode.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let electronPath;
try {
  // electron's index.js throws when its binary was never downloaded.
  electronPath = require('electron');
} catch {
  electronPath = null;
}
if (typeof electronPath !== 'string') {
  console.error(
    "The desktop window cannot open because Electron's binary is not installed (it is downloaded from outside the npm registry, so an offline install skips it); run `npm run serve` to use the station in a browser instead.",
  );
  process.exit(1);
}
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const build = spawnSync(npx, ['electron-vite', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const run = spawnSync(electronPath, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 0);
