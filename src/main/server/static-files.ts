// Serves the renderer build. Paths are resolved inside the root and checked after
// normalisation, so "..", encoded slashes and absolute paths cannot escape it.
import { createReadStream, promises as fs } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Returns the absolute file path for a URL path, or null if it would leave the root. */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const absRoot = resolve(root);
  const candidate = resolve(join(absRoot, decoded));
  if (candidate !== absRoot && !candidate.startsWith(absRoot + sep)) return null;
  return candidate;
}

export async function serveStatic(root: string, urlPath: string, res: ServerResponse): Promise<boolean> {
  const path = resolveStaticPath(root, urlPath === '/' ? '/index.html' : urlPath);
  if (!path) return false;
  let stat;
  try {
    stat = await fs.stat(path);
  } catch {
    // Client-side routes (no extension) fall back to the app shell.
    if (extname(urlPath) === '') return serveStatic(root, '/index.html', res);
    return false;
  }
  if (!stat.isFile()) {
    if (stat.isDirectory() && urlPath !== '/index.html') return serveStatic(root, '/index.html', res);
    return false;
  }
  const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': stat.size,
    'Cache-Control': type.startsWith('text/html') ? 'no-cache' : 'public, max-age=3600',
  });
  await new Promise<void>((done, fail) => {
    createReadStream(path).on('error', fail).on('end', done).pipe(res);
  });
  return true;
}
