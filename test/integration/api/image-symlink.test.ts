// Issue 13 "also seen": a symbolic link placed inside images/ was followed when serving
// GET /api/images/<ref>, exposing whatever file it pointed at. Only regular files are served.
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, httpHarness, tempDir, type Harness } from './harness';
import type { HeadlessServer } from '../../../src/main/server/http-server';

describe.skipIf(process.platform === 'win32')('image serving and symbolic links', () => {
  let h: Harness & { server: HeadlessServer };
  let secret: string;
  let cookie = '';
  beforeAll(async () => {
    h = await httpHarness();
    // Images are served to signed-in people only: a session of our own for the raw GETs below.
    const signIn = await fetch(`${h.server.url}api/rpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
    secret = join(tempDir('symlink-secret-'), 'secret.txt');
    writeFileSync(secret, 'top secret: station private key');
  });
  afterAll(() => h.close());

  const get = (ref: string) => fetch(`${h.server.url}api/images/${ref}`, { headers: { cookie } });

  it('serves a stored image, but not once it is replaced by a symlink', async () => {
    const stored = await h.station.images.put(Buffer.from('a real stored frame'), 'png');
    expect((await get(stored.ref)).status).toBe(200);

    const path = h.station.images.pathOf(stored.ref);
    rmSync(path);
    symlinkSync(secret, path);
    const res = await get(stored.ref);
    const body = await res.text();
    expect(res.status, body).toBe(400);
    expect(body).not.toContain('top secret');
    expect(body).toMatch(/symbolic link refused/);
    await expect(h.client.call('images.get', { ref: stored.ref })).rejects.toThrow(/symbolic link refused/);
  });

  it('does not follow a shard folder that is a symlink', async () => {
    const stored = await h.station.images.put(Buffer.from('another frame'), 'png');
    const path = h.station.images.pathOf(stored.ref);
    const shard = dirname(path);
    // Move the real shard away and put a link to an attacker-chosen folder in its place.
    const elsewhere = join(tempDir('symlink-shard-'), 'shard');
    renameSync(shard, elsewhere);
    mkdirSync(dirname(elsewhere), { recursive: true });
    symlinkSync(elsewhere, shard);
    const res = await get(stored.ref);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/symbolic link refused/);
  });
});
