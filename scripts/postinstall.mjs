// npm runs no install script of electron or onnxruntime-node (allowScripts denies them),
// because both download binaries from outside the npm registry and fail offline. Here we try
// those downloads ourselves and, when they fail, say in one line what is missing and what
// still works, then exit 0 so that an offline install succeeds.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const TIMEOUT_MS = Number(process.env.STATION_DOWNLOAD_TIMEOUT_MS ?? 120_000);
const skip = process.env.STATION_SKIP_DOWNLOADS === '1';

function packageDir(name) {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

function run(script, args = []) {
  const r = spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    env: { ...process.env, npm_package_json: '', npm_config_local_prefix: '' },
  });
  const out = `${r.stderr ?? ''}\n${r.stdout ?? ''}`;
  // The scripts print long stack traces; the first error line is the part a person needs.
  const reason =
    out.match(/\b(getaddrinfo \w+ [^\s)]+|E[A-Z_]{3,} [^\n]{0,80})/)?.[1] ??
    out
      .split('\n')
      .find((l) => /error/i.test(l))
      ?.trim() ??
    '';
  return {
    ok: r.status === 0 && !r.error,
    why: r.error ? `timed out or failed: ${r.error.message}` : `offline? ${reason.slice(0, 100)}`.trim(),
  };
}

function electronInstalled(dir) {
  try {
    const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    return (
      readFileSync(join(dir, 'dist', 'version'), 'utf8')
        .trim()
        .replace(/^v/, '') === version
    );
  } catch {
    return false;
  }
}

const lines = [];

const electronDir = packageDir('electron');
if (!electronDir) {
  lines.push(
    'Electron: not installed (production install?) - the desktop window is unavailable; `npm run serve` works.',
  );
} else if (electronInstalled(electronDir)) {
  lines.push('Electron binary: present - `npm start` opens the desktop window.');
} else {
  const r = skip ? { ok: false, why: 'STATION_SKIP_DOWNLOADS=1' } : run(join(electronDir, 'install.js'));
  lines.push(
    r.ok && electronInstalled(electronDir)
      ? 'Electron binary: downloaded - `npm start` opens the desktop window.'
      : `Electron binary: not available (${r.why || 'download failed'}) - no desktop window; headless mode (npm run serve), the CLI and all tests work without it.`,
  );
}

const ortDir = packageDir('onnxruntime-node');
if (ortDir && process.platform === 'linux' && process.arch === 'x64') {
  const cudaLib = join(ortDir, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so');
  if (existsSync(cudaLib)) {
    lines.push(
      'ONNX Runtime CUDA provider: present - NVIDIA GPUs are used when their driver and CUDA 12 runtime are installed.',
    );
  } else {
    const r = skip
      ? { ok: false, why: 'STATION_SKIP_DOWNLOADS=1' }
      : run(join(ortDir, 'script', 'install.js'), ['--onnxruntime-node-install=cuda12']);
    lines.push(
      r.ok && existsSync(cudaLib)
        ? 'ONNX Runtime CUDA provider: downloaded - NVIDIA GPUs are used when their driver is installed.'
        : `ONNX Runtime CUDA provider: not available (${r.why || 'download failed'}) - inference runs on the CPU (WebGPU where the system has it); everything else works.`,
    );
  }
}

for (const line of lines) console.log(`[station] ${line}`);
